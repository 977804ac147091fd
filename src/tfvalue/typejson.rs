//! cty's JSON spelling of types: how schemas and `dynamic` values carry a [`Type`] as bytes.
//!
//! Primitives are strings (`"string"`, `"number"`, `"bool"`, `"dynamic"`); the others are arrays
//! `["list", T]`, `["set", T]`, `["map", T]`, `["object", {"name": T}]` (cty may add a third
//! element listing optional attributes: accepted and ignored) and `["tuple", [T, ...]]`.

use std::collections::BTreeMap;

use super::jsontext::{self, Json};
use super::{CodecError, Seg, Type};

impl Type {
    /// The type in cty's JSON form, compact, object attributes sorted by name.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        write(&mut out, self);
        out
    }

    /// Reads a type from cty's JSON form (as in schema attributes and `dynamic` values).
    pub fn from_json(bytes: &[u8]) -> Result<Type, CodecError> {
        from_tree(&jsontext::parse(bytes)?).map_err(CodecError::rooted)
    }
}

fn write(out: &mut String, ty: &Type) {
    match ty {
        Type::Bool | Type::Number | Type::String | Type::Dynamic => {
            jsontext::write_string(out, ty.kind());
        }
        Type::List(el) | Type::Set(el) | Type::Map(el) => {
            out.push('[');
            jsontext::write_string(out, ty.kind());
            out.push(',');
            write(out, el);
            out.push(']');
        }
        Type::Object(attrs) => {
            out.push_str("[\"object\",{");
            for (i, (name, aty)) in attrs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                jsontext::write_string(out, name);
                out.push(':');
                write(out, aty);
            }
            out.push_str("}]");
        }
        Type::Tuple(elems) => {
            out.push_str("[\"tuple\",[");
            for (i, ety) in elems.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, ety);
            }
            out.push_str("]]");
        }
    }
}

/// The type a parsed JSON tree spells (shared with the JSON value codec, whose `dynamic` values
/// carry their type as a nested tree).
pub(super) fn from_tree(j: &Json) -> Result<Type, CodecError> {
    match j {
        Json::String(name) => match name.as_str() {
            "bool" => Ok(Type::Bool),
            "number" => Ok(Type::Number),
            "string" => Ok(Type::String),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(CodecError::invalid(format!("unknown type {other:?}"))),
        },
        Json::Array(items) => {
            let (Some(Json::String(kind)), Some(arg)) = (items.first(), items.get(1)) else {
                return Err(CodecError::invalid(
                    "a compound type is [kind, argument], e.g. [\"list\",\"string\"]",
                ));
            };
            let extra = items.len() - 2;
            let at_kind = |e: CodecError| e.at(Seg::Index(1));
            match (kind.as_str(), extra) {
                ("list", 0) => Ok(Type::list(from_tree(arg).map_err(at_kind)?)),
                ("set", 0) => Ok(Type::set(from_tree(arg).map_err(at_kind)?)),
                ("map", 0) => Ok(Type::map(from_tree(arg).map_err(at_kind)?)),
                ("object", 0 | 1) => object(arg, items.get(2)).map_err(at_kind),
                ("tuple", 0) => tuple(arg).map_err(at_kind),
                ("list" | "set" | "map" | "object" | "tuple", _) => Err(CodecError::invalid(
                    format!("too many elements in a {kind} type"),
                )),
                (other, _) => Err(CodecError::invalid(format!("unknown type {other:?}"))),
            }
        }
        other => Err(CodecError::mismatch("a type", other.kind())),
    }
}

fn object(attrs: &Json, optional: Option<&Json>) -> Result<Type, CodecError> {
    let Json::Object(members) = attrs else {
        return Err(CodecError::mismatch(
            "an object of attribute types",
            attrs.kind(),
        ));
    };
    let mut out = BTreeMap::new();
    for (name, aty) in members {
        let ty = from_tree(aty).map_err(|e| e.at(Seg::Attr(name)))?;
        if out.insert(name.clone(), ty).is_some() {
            return Err(CodecError::invalid(format!("attribute {name:?} twice")));
        }
    }
    // Optional-attribute lists only matter for type conversion, which Terraform does itself.
    match optional {
        None => {}
        Some(Json::Array(names)) if names.iter().all(|n| matches!(n, Json::String(_))) => {}
        Some(other) => {
            return Err(CodecError::mismatch(
                "a list of optional attribute names",
                other.kind(),
            ))
        }
    }
    Ok(Type::Object(out))
}

fn tuple(elems: &Json) -> Result<Type, CodecError> {
    let Json::Array(items) = elems else {
        return Err(CodecError::mismatch(
            "an array of element types",
            elems.kind(),
        ));
    };
    let mut out = Vec::new();
    for (i, ety) in items.iter().enumerate() {
        out.push(from_tree(ety).map_err(|e| e.at(Seg::Index(i)))?);
    }
    Ok(Type::Tuple(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Type {
        Type::object([
            ("b", Type::Bool),
            ("n", Type::Number),
            ("s", Type::list(Type::String)),
            ("set", Type::set(Type::map(Type::Dynamic))),
            ("t", Type::Tuple(vec![Type::String, Type::Tuple(vec![])])),
            ("o", Type::object([("x\"y", Type::Bool)])),
        ])
    }

    /// Every kind of type writes cty's compact JSON and reads back unchanged.
    #[test]
    fn round_trips_every_kind() {
        let ty = every_kind();
        let json = ty.to_json();
        assert_eq!(
            json,
            r#"["object",{"b":"bool","n":"number","o":["object",{"x\"y":"bool"}],"s":["list","string"],"set":["set",["map","dynamic"]],"t":["tuple",["string",["tuple",[]]]]}]"#
        );
        assert_eq!(Type::from_json(json.as_bytes()), Ok(ty));
    }

    /// The optional-attributes list cty may append to an object type is accepted and ignored.
    #[test]
    fn accepts_optional_attribute_list() {
        let ty = Type::from_json(br#"["object",{"a":"string","b":"number"},["b"]]"#);
        assert_eq!(
            ty,
            Ok(Type::object([("a", Type::String), ("b", Type::Number)]))
        );
    }

    /// Unknown names, wrong shapes and duplicate attributes are errors that say where.
    #[test]
    fn rejects_malformed_types() {
        for bad in [
            &br#""int""#[..],
            br#"["list"]"#,
            br#"["list","string","x"]"#,
            br#"["capsule","x"]"#,
            br#"["object",["a"]]"#,
            br#"["object",{"a":"string"},"b"]"#,
            br#"["tuple","string"]"#,
            br#"["object",{"a":"string","a":"bool"}]"#,
            br#"[]"#,
            br#"{}"#,
            br#"5"#,
        ] {
            assert!(
                Type::from_json(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let err = Type::from_json(br#"["object",{"a":["list","strin"]}]"#);
        assert_eq!(
            err,
            Err(CodecError::Invalid {
                path: "[1].a[1]".into(),
                message: "unknown type \"strin\"".into()
            })
        );
    }
}
