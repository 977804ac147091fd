//! Property tests of the codecs with a self-contained deterministic generator: random
//! (type, value) pairs round-trip, and random or mutated bytes never panic.
//!
//! The generator is `crate::rng` (SplitMix64) from fixed seeds, so a failure reproduces on every
//! run; the failing case is printed in the assertion message.

use std::collections::BTreeMap;

use super::{
    from_json, from_msgpack, number, to_json, to_msgpack, CodecError, Number, Type, Value,
};

use crate::rng::Rng;

fn gen_type(rng: &mut Rng, depth: u32) -> Type {
    let leaf = depth >= 4 || rng.chance(40);
    if leaf {
        return rng
            .pick(&[Type::Bool, Type::Number, Type::String, Type::Dynamic])
            .clone();
    }
    match rng.below(6) {
        0 => Type::list(gen_type(rng, depth + 1)),
        1 => Type::set(gen_type(rng, depth + 1)),
        2 => Type::map(gen_type(rng, depth + 1)),
        3 => Type::Tuple(
            (0..rng.below(4))
                .map(|_| gen_type(rng, depth + 1))
                .collect(),
        ),
        _ => Type::Object(
            (0..rng.below(4))
                .map(|_| (gen_string(rng), gen_type(rng, depth + 1)))
                .collect(),
        ),
    }
}

fn gen_string(rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        "a", "id", "\"", "\\", "\n", "\u{1}", "é", "😀", " ", "0", "/",
    ];
    (0..rng.below(5)).map(|_| *rng.pick(PIECES)).collect()
}

fn gen_number(rng: &mut Rng) -> Number {
    match rng.below(5) {
        0 => Number::Int(rng.next_u64() as i64),
        1 => Number::Int(rng.below(200) as i64 - 100),
        2 => {
            // Any finite f64, from its bits.
            let f = f64::from_bits(rng.next_u64());
            Number::Float(if f.is_finite() { f } else { 0.25 })
        }
        _ => {
            // Random decimal text, classified the way a decoder would.
            let digits: String = (0..1 + rng.below(30))
                .map(|_| char::from(b'0' + rng.below(10) as u8))
                .collect();
            let text = format!("{digits}e{}", rng.below(900) as i64 - 450);
            number::parse(&text).unwrap_or(Number::Int(0))
        }
    }
}

/// A value of `ty`; with `unknowns`, nulls and unknowns appear anywhere below the top.
fn gen_value(rng: &mut Rng, ty: &Type, unknowns: bool, top: bool) -> Value {
    if !top && rng.chance(10) {
        return Value::Null;
    }
    if unknowns && !top && rng.chance(10) {
        return Value::Unknown;
    }
    let many = |rng: &mut Rng, el: &Type| -> Vec<Value> {
        (0..rng.below(4))
            .map(|_| gen_value(rng, el, unknowns, false))
            .collect()
    };
    match ty {
        Type::Bool => Value::Bool(rng.chance(50)),
        Type::Number => Value::Number(gen_number(rng)),
        Type::String => Value::String(gen_string(rng)),
        Type::List(el) => Value::List(many(rng, el)),
        Type::Set(el) => Value::Set(many(rng, el)),
        Type::Map(el) => Value::Map(
            (0..rng.below(4))
                .map(|_| (gen_string(rng), gen_value(rng, el, unknowns, false)))
                .collect::<BTreeMap<_, _>>(),
        ),
        Type::Tuple(tys) => Value::Tuple(
            tys.iter()
                .map(|t| gen_value(rng, t, unknowns, false))
                .collect(),
        ),
        Type::Object(attrs) => Value::Object(
            attrs
                .iter()
                .map(|(k, t)| (k.clone(), gen_value(rng, t, unknowns, false)))
                .collect(),
        ),
        Type::Dynamic => {
            let inner_ty = gen_type(rng, 2);
            let inner = gen_value(rng, &inner_ty, unknowns, false);
            Value::Dynamic(inner_ty, Box::new(inner))
        }
    }
}

/// The value JSON hands back: JSON cannot tell `5.0` from `5`, so numbers take the variant
/// their exact text decodes to.
fn json_canonical(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::Number(
            number::to_json_text(n)
                .and_then(|t| number::parse(&t))
                .unwrap_or_else(|| n.clone()),
        ),
        Value::List(items) => Value::List(items.iter().map(json_canonical).collect()),
        Value::Set(items) => Value::Set(items.iter().map(json_canonical).collect()),
        Value::Tuple(items) => Value::Tuple(items.iter().map(json_canonical).collect()),
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, v)| (k.clone(), json_canonical(v)))
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), json_canonical(v)))
                .collect(),
        ),
        Value::Dynamic(t, inner) => Value::Dynamic(t.clone(), Box::new(json_canonical(inner))),
        other => other.clone(),
    }
}

/// Flips, drops, duplicates or inserts a few bytes.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            2 => bytes.truncate(at),
            3 => bytes.insert(at, rng.next_u64() as u8),
            _ => bytes.insert(
                at,
                *rng.pick(&[0xc0, 0xc1, 0xd4, 0xdd, 0xdf, 0xdb, 0xff, b'"']),
            ),
        }
    }
}

type Encode = fn(&Value, &Type) -> Result<Vec<u8>, CodecError>;
type Decode = fn(&[u8], &Type) -> Result<Value, CodecError>;

/// 3000 random (type, value) pairs from `seed` (with unknowns if `unknowns`) encode, and decode
/// back to `expected(value)`.
fn round_trips(
    seed: u64,
    unknowns: bool,
    encode: Encode,
    decode: Decode,
    expected: fn(&Value) -> Value,
) {
    let mut rng = Rng::new(seed);
    for _ in 0..3000 {
        let ty = gen_type(&mut rng, 0);
        let v = gen_value(&mut rng, &ty, unknowns, true);
        let bytes = encode(&v, &ty);
        let back = bytes.as_ref().map(|b| decode(b, &ty));
        let text = bytes
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned());
        assert_eq!(
            back,
            Ok(Ok(expected(&v))),
            "type {ty:?} value {v:?} bytes {bytes:02x?} as text {text:?}"
        );
    }
}

/// Random (type, value) pairs with unknowns anywhere round-trip through msgpack exactly.
#[test]
fn msgpack_round_trips_random_values() {
    round_trips(
        0x9E37_79B9_7F4A_7C15,
        true,
        to_msgpack,
        from_msgpack,
        Value::clone,
    );
}

/// Random known (type, value) pairs round-trip through JSON.
#[test]
fn json_round_trips_random_values() {
    round_trips(
        0x2545_F491_4F6C_DD1D,
        false,
        to_json,
        from_json,
        json_canonical,
    );
}

/// Mutated encodings and random bytes never panic; whatever decodes re-encodes to a fixed point.
#[test]
fn mutated_bytes_never_panic() {
    let mut rng = Rng::new(0xD1B5_4A32_D192_ED03);
    let fixed = [
        Type::Dynamic,
        Type::list(Type::Number),
        Type::map(Type::String),
    ];
    for round in 0..20_000 {
        let ty = if round % 4 == 0 {
            rng.pick(&fixed).clone()
        } else {
            gen_type(&mut rng, 0)
        };
        let v = gen_value(&mut rng, &ty, true, true);
        let mut bytes = if round % 10 == 0 {
            (0..rng.below(40)).map(|_| rng.next_u64() as u8).collect()
        } else {
            to_msgpack(&v, &ty).unwrap_or_default()
        };
        mutate(&mut rng, &mut bytes);
        if let Ok(decoded) = from_msgpack(&bytes, &ty) {
            let once = to_msgpack(&decoded, &ty);
            assert!(
                once.is_ok(),
                "{bytes:02x?} decoded but did not re-encode: {once:?}"
            );
            let once = once.unwrap_or_default();
            let again = from_msgpack(&once, &ty).and_then(|d| to_msgpack(&d, &ty));
            assert_eq!(again, Ok(once), "{bytes:02x?}");
        }
        let _ = super::Type::from_json(&bytes);
        let mut json = to_json(&gen_value(&mut rng, &ty, false, true), &ty).unwrap_or_default();
        mutate(&mut rng, &mut json);
        if let Ok(decoded) = from_json(&json, &ty) {
            assert!(
                to_json(&decoded, &ty).is_ok(),
                "{}",
                String::from_utf8_lossy(&json)
            );
        }
        if let Ok(t) = super::Type::from_json(&json) {
            assert_eq!(super::Type::from_json(t.to_json().as_bytes()), Ok(t));
        }
    }
}
