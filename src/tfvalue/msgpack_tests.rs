//! Tests of the msgpack codec: exact bytes, round trips, unknowns, numbers, malformed input.

use super::*;

fn obj_ty() -> Type {
    Type::object([
        ("b", Type::Bool),
        ("n", Type::Number),
        ("s", Type::String),
        ("l", Type::list(Type::String)),
        ("set", Type::set(Type::Number)),
        ("m", Type::map(Type::Bool)),
        ("t", Type::Tuple(vec![Type::String, Type::Number])),
        ("o", Type::object([("x", Type::String)])),
        ("d", Type::Dynamic),
    ])
}

fn obj_value() -> Value {
    Value::object([
        ("b", Value::Bool(true)),
        ("n", Value::int(-300)),
        ("s", Value::string("héllo")),
        ("l", Value::List(vec![Value::string("a"), Value::Unknown])),
        (
            "set",
            Value::Set(vec![Value::Number(Number::Float(0.5)), Value::Null]),
        ),
        (
            "m",
            Value::Map([("k".to_string(), Value::Unknown)].into_iter().collect()),
        ),
        ("t", Value::Tuple(vec![Value::Null, Value::int(7)])),
        ("o", Value::object([("x", Value::Unknown)])),
        (
            "d",
            Value::Dynamic(
                Type::list(Type::Number),
                Box::new(Value::List(vec![Value::int(1)])),
            ),
        ),
    ])
}

fn round_trip(v: &Value, ty: &Type) -> Value {
    let bytes = to_msgpack(v, ty).unwrap_or_else(|e| panic!("encode {v:?}: {e}"));
    from_msgpack(&bytes, ty).unwrap_or_else(|e| panic!("decode {bytes:02x?}: {e}"))
}

/// The bytes Terraform itself produces for small values.
#[test]
fn exact_bytes() {
    let ty = Type::object([("a", Type::String)]);
    let v = Value::object([("a", Value::string("x"))]);
    assert_eq!(to_msgpack(&v, &ty), Ok(vec![0x81, 0xa1, 0x61, 0xa1, 0x78]));
    assert_eq!(to_msgpack(&Value::Unknown, &ty), Ok(vec![0xd4, 0, 0]));
    assert_eq!(to_msgpack(&Value::Null, &ty), Ok(vec![0xc0]));
    assert_eq!(to_msgpack(&Value::int(-1), &Type::Number), Ok(vec![0xff]));
    assert_eq!(
        to_msgpack(&Value::int(300), &Type::Number),
        Ok(vec![0xcd, 0x01, 0x2c])
    );
    assert_eq!(
        to_msgpack(&Value::Number(Number::Float(0.5)), &Type::Number),
        Ok(vec![0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0])
    );
    assert_eq!(
        to_msgpack(&Value::Number(Number::Decimal("0.1".into())), &Type::Number),
        Ok(vec![0xa3, b'0', b'.', b'1'])
    );
    let dynamic = Value::Dynamic(Type::String, Box::new(Value::string("x")));
    let mut expected = vec![0x92, 0xc4, 8];
    expected.extend_from_slice(b"\"string\"");
    expected.extend_from_slice(&[0xa1, b'x']);
    assert_eq!(to_msgpack(&dynamic, &Type::Dynamic), Ok(expected));
}

/// An object with every kind of attribute, unknowns nested in list, map and object, round-trips.
#[test]
fn round_trips_every_type_with_nested_unknowns() {
    let (v, ty) = (obj_value(), obj_ty());
    assert_eq!(round_trip(&v, &ty), v);
    assert!(!v.is_wholly_known());
    for (v, ty) in [
        (Value::Null, Type::Dynamic),
        (Value::Unknown, Type::Dynamic),
        (Value::Bool(false), Type::Bool),
        (Value::string(""), Type::String),
        (Value::List(vec![]), Type::list(Type::Dynamic)),
        (Value::Map(BTreeMap::new()), Type::map(Type::String)),
        (Value::Tuple(vec![]), Type::Tuple(vec![])),
        (Value::int(i64::MIN), Type::Number),
        (Value::int(i64::MAX), Type::Number),
        (Value::Number(Number::Float(f64::INFINITY)), Type::Number),
    ] {
        assert_eq!(round_trip(&v, &ty), v);
    }
}

/// A refined unknown (extension 12 with a payload) and other extensions decode as Unknown.
#[test]
fn any_extension_is_unknown() {
    let refined = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3];
    assert_eq!(from_msgpack(&refined, &Type::String), Ok(Value::Unknown));
    let ty = Type::list(Type::Number);
    let list = [0x93, 0xd4, 0x00, 0x00, 0xd5, 0x0c, 1, 2, 0x01];
    assert_eq!(
        from_msgpack(&list, &ty),
        Ok(Value::List(vec![
            Value::Unknown,
            Value::Unknown,
            Value::int(1)
        ]))
    );
    assert_eq!(
        from_msgpack(&[0xc9, 0, 0, 0, 1, 0x0c, 0xff], &Type::Bool),
        Ok(Value::Unknown)
    );
}

/// Numbers beyond i64/f64 keep their value: 2^63 as an exact float, 0.1 and 1e400 as text.
#[test]
fn big_numbers_without_loss() {
    let u64_max = [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    assert_eq!(
        from_msgpack(&u64_max, &Type::Number),
        Ok(Value::Number(Number::Decimal(
            "18446744073709551615".into()
        )))
    );
    let two63 = [0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        from_msgpack(&two63, &Type::Number),
        Ok(Value::Number(Number::Float(9223372036854775808.0)))
    );
    for text in ["0.1", "1e400", "-123456789012345678901234567890.5"] {
        let v = Value::Number(Number::Decimal(text.into()));
        let bytes = to_msgpack(&v, &Type::Number).unwrap_or_default();
        assert_eq!(from_msgpack(&bytes, &Type::Number), Ok(v));
    }
    let mut s = vec![0xa2];
    s.extend_from_slice(b"12");
    assert_eq!(from_msgpack(&s, &Type::Number), Ok(Value::int(12)));
    let f32_half = [0xca, 0x3f, 0, 0, 0];
    assert_eq!(
        from_msgpack(&f32_half, &Type::Number),
        Ok(Value::Number(Number::Float(0.5)))
    );
}

/// Objects must match their type exactly, and errors name the path.
#[test]
fn object_attributes_checked_with_paths() {
    let ty = Type::object([("a", Type::list(Type::Bool))]);
    // {"a": [true, "x"]}
    let bad = [0x81, 0xa1, b'a', 0x92, 0xc3, 0xa1, b'x'];
    assert_eq!(
        from_msgpack(&bad, &ty),
        Err(CodecError::TypeMismatch {
            path: ".a[1]".into(),
            expected: "bool".into(),
            found: "string".into()
        })
    );
    let missing = [0x80];
    assert!(
        matches!(from_msgpack(&missing, &ty), Err(CodecError::Invalid { path, message })
        if path == "(root)" && message.contains("\"a\" is missing"))
    );
    let extra = [0x82, 0xa1, b'a', 0xc0, 0xa1, b'z', 0xc0];
    assert!(
        matches!(from_msgpack(&extra, &ty), Err(CodecError::Invalid { message, .. })
        if message.contains("unsupported attribute \"z\""))
    );
    let twice = [0x82, 0xa1, b'a', 0xc0, 0xa1, b'a', 0xc0];
    assert!(from_msgpack(&twice, &ty).is_err());
    let no_attr = Value::object::<[(&str, Value); 0], &str>([]);
    assert!(to_msgpack(&no_attr, &ty).is_err());
    let more = Value::object([("a", Value::Null), ("b", Value::Null)]);
    assert!(to_msgpack(&more, &ty).is_err());
    let map_err = from_msgpack(&[0x81, 0xa1, b'k', 0xa0], &Type::map(Type::Bool));
    assert!(matches!(map_err, Err(CodecError::TypeMismatch { path, .. }) if path == "[\"k\"]"));
}

/// Every kind of malformed input is an error, never a panic or a huge allocation.
#[test]
fn malformed_input_is_an_error() {
    let s = Type::String;
    let cases: Vec<(&[u8], Type)> = vec![
        (&[], s.clone()),
        (&[0xa3, b'a'], s.clone()),       // truncated string
        (&[0xa2, 0xff, 0xfe], s.clone()), // bad UTF-8
        (&[0xc3], s.clone()),             // bool for string
        (&[0xc0, 0xc0], s.clone()),       // trailing byte
        (&[0xc1], s.clone()),             // reserved marker
        (&[0xcd, 0x01], Type::Number),    // truncated u16
        (&[0xa1, b'x'], Type::Number),    // non-numeric string
        (&[0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1], Type::Number), // NaN
        (&[0xdd, 0xff, 0xff, 0xff, 0xff], Type::list(s.clone())), // 4G-element array
        (&[0xdf, 0xff, 0xff, 0xff, 0xff], Type::map(s.clone())), // 4G-entry map
        (&[0xdb, 0xff, 0xff, 0xff, 0xff], s.clone()), // 4 GiB string
        (&[0xc9, 0xff, 0xff, 0xff, 0xff, 0], s.clone()), // 4 GiB extension
        (&[0x92, 0xc0], Type::Tuple(vec![s.clone(), s.clone()])), // truncated tuple
        (&[0x91, 0xc0], Type::Tuple(vec![s.clone(), s.clone()])), // short tuple
        (&[0x91, 0xc0], Type::Dynamic),   // dynamic not a pair
        (&[0x92, 0xa3, b'i', b'n', b't', 0xc0], Type::Dynamic), // bad type JSON
        (&[0x92, 0xc3, 0xc0], Type::Dynamic), // type not bytes
        (&[0x81, 0x01, 0xc0], Type::map(s.clone())), // non-string key
        (&[0x90], Type::map(s.clone())),  // array for map
    ];
    for (bytes, ty) in cases {
        let result = from_msgpack(bytes, &ty);
        assert!(result.is_err(), "{bytes:02x?} as {ty:?} gave {result:?}");
    }
    assert_eq!(
        from_msgpack(&[0xc0, 1, 2], &s),
        Err(CodecError::Trailing(2))
    );
    assert_eq!(from_msgpack(&[0xa3, b'a'], &s), Err(CodecError::Eof));
}

/// Nesting deeper than MAX_DEPTH is refused, both in lists and through dynamic values.
#[test]
fn deep_nesting_is_refused() {
    let mut ty = Type::String;
    for _ in 0..200 {
        ty = Type::list(ty);
    }
    let mut bytes = vec![0x91; 200];
    bytes.push(0xa0);
    assert!(
        matches!(from_msgpack(&bytes, &ty), Err(CodecError::Invalid { message, .. })
        if message.contains("deeper"))
    );
    // 10,000 nested [ "dynamic", [ "dynamic", ... ] ] pairs.
    let mut deep = Vec::new();
    for _ in 0..10_000 {
        deep.extend_from_slice(&[0x92, 0xa9]);
        deep.extend_from_slice(b"\"dynamic\"");
    }
    deep.push(0xc0);
    assert!(from_msgpack(&deep, &Type::Dynamic).is_err());
    let shallow = {
        let mut t = Type::String;
        let mut v = Value::string("x");
        for _ in 0..10 {
            t = Type::list(t);
            v = Value::List(vec![v]);
        }
        (v, t)
    };
    assert_eq!(round_trip(&shallow.0, &shallow.1), shallow.0);
}

/// Values that do not fit their type are refused on encode with a path.
#[test]
fn encode_checks_types() {
    let ty = Type::object([("a", Type::list(Type::Number))]);
    let v = Value::object([("a", Value::List(vec![Value::string("x")]))]);
    assert_eq!(
        to_msgpack(&v, &ty),
        Err(CodecError::TypeMismatch {
            path: ".a[0]".into(),
            expected: "number".into(),
            found: "string".into()
        })
    );
    assert!(to_msgpack(&Value::string("x"), &Type::Dynamic).is_err());
    assert!(to_msgpack(&Value::Number(Number::Float(f64::NAN)), &Type::Number).is_err());
    assert!(to_msgpack(&Value::Number(Number::Decimal("1x".into())), &Type::Number).is_err());
    assert!(to_msgpack(&Value::Tuple(vec![]), &Type::Tuple(vec![Type::Bool])).is_err());
}
