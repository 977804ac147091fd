//! The JSON codec of values: `RawState.json` in UpgradeResourceState, in cty's JSON form.
//!
//! JSON has no unknowns. Objects may omit attributes (they read as null), which is how older
//! states look after the schema gained attributes. A `dynamic` value is
//! `{"value": ..., "type": <type JSON>}`. Like cty, a string is accepted where a number or bool is
//! expected (`"12"`, `"true"`), and a number or bool where a string is.

use std::collections::BTreeMap;

use super::jsontext::{self, Json};
use super::{encode, number, typejson, CodecError, Seg, Type, Value};

/// Decodes JSON of type `ty`; an object attribute the type does not have is an error.
pub fn from_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    decode(&jsontext::parse(bytes)?, ty, false).map_err(CodecError::rooted)
}

/// Like [`from_json`], but silently drops object attributes the type does not have, at every
/// level: a prior state written before attributes were removed from the schema still upgrades.
pub fn from_json_ignoring_unknown_attributes(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    decode(&jsontext::parse(bytes)?, ty, true).map_err(CodecError::rooted)
}

/// Encodes `value` of type `ty` as compact JSON. Unknown values cannot be encoded.
pub fn to_json(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = String::new();
    write(&mut out, value, ty, 0).map_err(CodecError::rooted)?;
    Ok(out.into_bytes())
}

fn decode(j: &Json, ty: &Type, lenient: bool) -> Result<Value, CodecError> {
    let bad_number = |text: &str| {
        let shown: String = text.chars().take(40).collect();
        CodecError::invalid(format!("{shown:?} is not a decimal number"))
    };
    Ok(match (j, ty) {
        (Json::Null, _) => Value::Null,
        (Json::Bool(b), Type::Bool) => Value::Bool(*b),
        (Json::String(s), Type::Bool) => match s.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(CodecError::mismatch("bool", format!("string {s:?}"))),
        },
        (Json::Number(text) | Json::String(text), Type::Number) => {
            Value::Number(number::parse(text).ok_or_else(|| bad_number(text))?)
        }
        (Json::String(s), Type::String) => Value::String(s.clone()),
        (Json::Number(text), Type::String) => Value::String(text.clone()),
        (Json::Bool(b), Type::String) => Value::String(b.to_string()),
        (Json::Array(items), Type::List(el)) => Value::List(elements(items, el, lenient)?),
        (Json::Array(items), Type::Set(el)) => Value::Set(elements(items, el, lenient)?),
        (Json::Array(items), Type::Tuple(tys)) => {
            if items.len() != tys.len() {
                return Err(CodecError::invalid(format!(
                    "a tuple of {} elements, found {}",
                    tys.len(),
                    items.len()
                )));
            }
            let mut out = Vec::new();
            for (i, (item, ety)) in items.iter().zip(tys).enumerate() {
                out.push(decode(item, ety, lenient).map_err(|e| e.at(Seg::Index(i)))?);
            }
            Value::Tuple(out)
        }
        (Json::Object(members), Type::Map(el)) => {
            let mut out = BTreeMap::new();
            for (key, item) in members {
                let v = decode(item, el, lenient).map_err(|e| e.at(Seg::Key(key)))?;
                if out.insert(key.clone(), v).is_some() {
                    return Err(CodecError::invalid(format!("key {key:?} twice")));
                }
            }
            Value::Map(out)
        }
        (Json::Object(members), Type::Object(attrs)) => object(members, attrs, lenient)?,
        (Json::Object(members), Type::Dynamic) => dynamic(members, lenient)?,
        (other, ty) => return Err(CodecError::mismatch(ty.kind(), other.kind())),
    })
}

fn elements(items: &[Json], el: &Type, lenient: bool) -> Result<Vec<Value>, CodecError> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        out.push(decode(item, el, lenient).map_err(|e| e.at(Seg::Index(i)))?);
    }
    Ok(out)
}

fn object(
    members: &[(String, Json)],
    attrs: &BTreeMap<String, Type>,
    lenient: bool,
) -> Result<Value, CodecError> {
    let mut out = BTreeMap::new();
    for (name, item) in members {
        let Some(aty) = attrs.get(name) else {
            if lenient {
                continue;
            }
            return Err(CodecError::invalid(format!(
                "unsupported attribute {name:?}"
            )));
        };
        let v = decode(item, aty, lenient).map_err(|e| e.at(Seg::Attr(name)))?;
        if out.insert(name.clone(), v).is_some() {
            return Err(CodecError::invalid(format!("attribute {name:?} twice")));
        }
    }
    for name in attrs.keys() {
        if !out.contains_key(name) {
            out.insert(name.clone(), Value::Null);
        }
    }
    Ok(Value::Object(out))
}

/// `{"value": V, "type": T}`, in either order.
fn dynamic(members: &[(String, Json)], lenient: bool) -> Result<Value, CodecError> {
    let (mut value, mut ty) = (None, None);
    for (key, item) in members {
        let slot = match key.as_str() {
            "value" => &mut value,
            "type" => &mut ty,
            other => {
                return Err(CodecError::invalid(format!(
                    "a dynamic value has only \"value\" and \"type\", found {other:?}"
                )))
            }
        };
        if slot.replace(item).is_some() {
            return Err(CodecError::invalid(format!("{key:?} twice")));
        }
    }
    let (Some(value), Some(ty)) = (value, ty) else {
        return Err(CodecError::invalid(
            "a dynamic value needs both \"value\" and \"type\"",
        ));
    };
    let ty = typejson::from_tree(ty).map_err(|e| e.at(Seg::Attr("type")))?;
    let v = decode(value, &ty, lenient).map_err(|e| e.at(Seg::Attr("value")))?;
    Ok(Value::Dynamic(ty, Box::new(v)))
}

fn write(out: &mut String, value: &Value, ty: &Type, depth: usize) -> Result<(), CodecError> {
    encode::check_depth(depth)?;
    match (value, ty) {
        (Value::Null, _) => out.push_str("null"),
        (Value::Unknown, _) => {
            return Err(CodecError::invalid(
                "an unknown value cannot be written as JSON",
            ))
        }
        (Value::Bool(b), Type::Bool) => out.push_str(if *b { "true" } else { "false" }),
        (Value::Number(n), Type::Number) => {
            let text = number::to_json_text(n)
                .ok_or_else(|| CodecError::invalid(format!("{n:?} cannot be written as JSON")))?;
            out.push_str(&text);
        }
        (Value::String(s), Type::String) => jsontext::write_string(out, s),
        (Value::List(items), Type::List(el)) | (Value::Set(items), Type::Set(el)) => {
            jsontext::write_array(out, items.iter().enumerate(), |out, (i, item)| {
                write(out, item, el, depth + 1).map_err(|e| e.at(Seg::Index(i)))
            })?;
        }
        (Value::Tuple(items), Type::Tuple(tys)) => {
            let items_and_types = encode::tuple_items(items, tys)?.enumerate();
            jsontext::write_array(out, items_and_types, |out, (i, (item, ety))| {
                write(out, item, ety, depth + 1).map_err(|e| e.at(Seg::Index(i)))
            })?;
        }
        (Value::Map(entries), Type::Map(el)) => {
            let entries = entries.iter().map(|(key, item)| (key.as_str(), item));
            jsontext::write_object(out, entries, |out, key, item| {
                write(out, item, el, depth + 1).map_err(|e| e.at(Seg::Key(key)))
            })?;
        }
        (Value::Object(fields), Type::Object(attrs)) => {
            let attrs = encode::object_items(fields, attrs)?;
            jsontext::write_object(out, attrs, |out, name, attr| {
                let (item, aty) = attr?;
                write(out, item, aty, depth + 1).map_err(|e| e.at(Seg::Attr(name)))
            })?;
        }
        // A typed null keeps its type (`{"value":null,"type":...}`), as cty writes it.
        (Value::Dynamic(inner_ty, inner), Type::Dynamic) => {
            out.push_str("{\"value\":");
            write(out, inner, inner_ty, depth + 1).map_err(|e| e.at(Seg::Attr("value")))?;
            out.push_str(",\"type\":");
            out.push_str(&inner_ty.to_json());
            out.push('}');
        }
        (other, _) => return Err(encode::mismatch(other, ty)),
    }
    Ok(())
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
