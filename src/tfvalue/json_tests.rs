//! Tests of the JSON value codec: raw states, precision, leniency, malformed input.

use super::*;
use crate::tfvalue::Number;

fn state_ty() -> Type {
    Type::object([
        ("id", Type::String),
        ("size", Type::Number),
        ("ok", Type::Bool),
        ("tags", Type::map(Type::String)),
        ("ids", Type::set(Type::String)),
        (
            "pair",
            Type::Tuple(vec![Type::Bool, Type::list(Type::Number)]),
        ),
        ("nested", Type::list(Type::object([("x", Type::Number)]))),
        ("any", Type::Dynamic),
    ])
}

/// A full state round-trips through JSON, dynamic values included.
#[test]
fn round_trips_every_type() {
    let v = Value::object([
        ("id", Value::string("pc-1\"x\n")),
        ("size", Value::Number(Number::Float(2.5))),
        ("ok", Value::Bool(false)),
        (
            "tags",
            Value::Map(
                [("k".to_string(), Value::string("v"))]
                    .into_iter()
                    .collect(),
            ),
        ),
        ("ids", Value::Set(vec![Value::string("a"), Value::Null])),
        (
            "pair",
            Value::Tuple(vec![Value::Bool(true), Value::List(vec![Value::int(-3)])]),
        ),
        (
            "nested",
            Value::List(vec![Value::object([(
                "x",
                Value::Number(Number::Decimal("0.1".into())),
            )])]),
        ),
        (
            "any",
            Value::Dynamic(
                Type::map(Type::Number),
                Box::new(Value::Map(
                    [("n".to_string(), Value::int(1))].into_iter().collect(),
                )),
            ),
        ),
    ]);
    let ty = state_ty();
    let bytes = to_json(&v, &ty).unwrap_or_default();
    assert_eq!(from_json(&bytes, &ty), Ok(v));
    let text = String::from_utf8(bytes).unwrap_or_default();
    assert!(
        text.contains(r#""any":{"value":{"n":1},"type":["map","number"]}"#),
        "{text}"
    );
}

/// Missing attributes read as null; unknown ones are errors unless asked to drop them.
#[test]
fn missing_attributes_are_null_unknown_ones_refused() {
    let ty = Type::object([
        ("a", Type::String),
        ("b", Type::object([("c", Type::Bool)])),
    ]);
    let expected = Value::object([
        ("a", Value::string("x")),
        ("b", Value::object([("c", Value::Null)])),
    ]);
    assert_eq!(from_json(br#"{"a":"x","b":{}}"#, &ty), Ok(expected.clone()));
    let extra = br#"{"a":"x","b":{"old":1},"gone":true}"#;
    assert!(matches!(from_json(extra, &ty), Err(CodecError::Invalid { path, .. }) if path == ".b"));
    assert_eq!(
        from_json_ignoring_unknown_attributes(extra, &ty),
        Ok(expected)
    );
    assert!(from_json(br#"{"a":"x","a":"y"}"#, &ty).is_err());
}

/// Numbers keep their exact value, whatever their size.
#[test]
fn numbers_keep_precision() {
    let n = Type::Number;
    assert_eq!(
        from_json(b"9223372036854775808", &n),
        Ok(Value::Number(Number::Float(9223372036854775808.0)))
    );
    assert_eq!(
        from_json(b"18446744073709551617", &n),
        Ok(Value::Number(Number::Decimal(
            "18446744073709551617".into()
        )))
    );
    assert_eq!(
        from_json(b"1e400", &n),
        Ok(Value::Number(Number::Decimal("1e400".into())))
    );
    assert_eq!(
        from_json(b"0.1", &n),
        Ok(Value::Number(Number::Decimal("0.1".into())))
    );
    assert_eq!(from_json(b"-42", &n), Ok(Value::int(-42)));
    let tenth = Value::Number(Number::Float(0.1));
    let bytes = to_json(&tenth, &n).unwrap_or_default();
    assert_eq!(from_json(&bytes, &n), Ok(tenth));
}

/// Like cty, strings stand in for numbers and bools, and scalars for strings.
#[test]
fn cty_conversions_are_accepted() {
    assert_eq!(from_json(br#""12""#, &Type::Number), Ok(Value::int(12)));
    assert_eq!(from_json(br#""true""#, &Type::Bool), Ok(Value::Bool(true)));
    assert_eq!(from_json(b"1.50", &Type::String), Ok(Value::string("1.50")));
    assert_eq!(
        from_json(b"false", &Type::String),
        Ok(Value::string("false"))
    );
    assert!(from_json(br#""yes""#, &Type::Bool).is_err());
    assert!(from_json(br#""12a""#, &Type::Number).is_err());
}

/// Unknowns, NaN and values that do not fit the type cannot be written.
#[test]
fn encode_refuses_what_json_cannot_hold() {
    let ty = Type::list(Type::String);
    let err = to_json(&Value::List(vec![Value::Unknown]), &ty);
    assert!(matches!(err, Err(CodecError::Invalid { path, .. }) if path == "[0]"));
    assert!(to_json(&Value::Number(Number::Float(f64::NAN)), &Type::Number).is_err());
    assert!(to_json(&Value::Number(Number::Float(f64::INFINITY)), &Type::Number).is_err());
    assert!(to_json(&Value::Bool(true), &Type::String).is_err());
    assert!(to_json(
        &Value::object([("z", Value::Null)]),
        &Type::object([("a", Type::Bool)])
    )
    .is_err());
}

/// Malformed JSON and wrong shapes are errors, never panics.
#[test]
fn malformed_input_is_an_error() {
    let ty = state_ty();
    for bad in [
        &b""[..],
        b"{",
        b"[]",
        b"{\"id\": 5",
        b"{\"id\": [1]}",
        b"{\"pair\": [true]}",
        b"{\"any\": {\"value\": 1}}",
        b"{\"any\": {\"value\": 1, \"type\": \"int\"}}",
        b"{\"any\": {\"value\": \"x\", \"type\": \"number\"}}",
        b"{\"any\": {\"value\": 1, \"type\": \"number\", \"x\": 1}}",
        b"{\"tags\": {\"a\": \"1\", \"a\": \"2\"}}",
        b"{} x",
        b"\xff",
    ] {
        assert!(
            from_json(bad, &ty).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    let deep = "[".repeat(5000) + &"]".repeat(5000);
    assert!(from_json(deep.as_bytes(), &Type::Dynamic).is_err());
}
