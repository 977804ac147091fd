//! Terraform values on the wire: [`Value`], [`Type`], and their msgpack and JSON codecs.
//!
//! Terraform sends every value as msgpack (`DynamicValue.msgpack`), except the raw prior state in
//! `UpgradeResourceState`, which is JSON. Decoding needs the [`Type`] because msgpack arrays are
//! lists, sets or tuples, and maps are maps or objects, depending on the schema.

use std::collections::BTreeMap;

mod json;
mod jsontext;
mod msgpack;
mod number;
#[cfg(test)]
mod proptests;
mod typejson;

pub use json::{from_json, from_json_ignoring_unknown_attributes, to_json};
pub use msgpack::{from_msgpack, to_msgpack};

/// How deeply values (and types) may nest in decoded input. Real schemas nest a few levels; the
/// bound keeps hostile input from exhausting the stack.
pub const MAX_DEPTH: usize = 64;

/// A Terraform (cty) type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Type {
    Bool,
    Number,
    String,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
    /// `dynamic`: the concrete type travels with each value.
    Dynamic,
}

/// A Terraform number, kept without loss of precision.
#[derive(Clone, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
    /// A number that is neither an exact `i64` nor an exact `f64`, as its decimal string.
    /// Decoders store a canonical spelling (`"0.1"`, `"1e400"`), so equal numbers compare equal.
    Decimal(String),
}

/// A Terraform value. Unknown values (not yet known at plan time) are [`Value::Unknown`]; their
/// refinements, if any, are dropped on input.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// A value of a `dynamic` attribute together with its concrete type.
    Dynamic(Type, Box<Value>),
}

/// Why bytes could not be decoded into a value (or a value encoded) for a given type.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CodecError {
    #[error("unexpected end of input")]
    Eof,
    #[error("at {path}: expected {expected}, found {found}")]
    TypeMismatch {
        path: String,
        expected: String,
        found: String,
    },
    #[error("at {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{0} trailing bytes after the value")]
    Trailing(usize),
}

/// The checks both encoders (msgpack and JSON) make before they write a value, so that the two
/// refuse the same values with the same words.
pub(crate) mod encode {
    use std::collections::BTreeMap;

    use super::{CodecError, Type, Value, MAX_DEPTH};

    /// Refuses a value nested [`MAX_DEPTH`] levels deep (`depth` is 0 at the top).
    pub(crate) fn check_depth(depth: usize) -> Result<(), CodecError> {
        if depth >= MAX_DEPTH {
            return Err(CodecError::invalid(format!(
                "value nested deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(())
    }

    /// A tuple's items with their types; refuses a tuple of another length than its type's.
    pub(crate) fn tuple_items<'a>(
        items: &'a [Value],
        tys: &'a [Type],
    ) -> Result<impl Iterator<Item = (&'a Value, &'a Type)>, CodecError> {
        if items.len() != tys.len() {
            return Err(CodecError::invalid(format!(
                "a tuple of {} elements, found {}",
                tys.len(),
                items.len()
            )));
        }
        Ok(items.iter().zip(tys))
    }

    /// One attribute of an object to write: its value and type, or why it cannot be written.
    pub(crate) type Attribute<'a> = Result<(&'a Value, &'a Type), CodecError>;

    /// An object's attributes in its type's order, each name with its value and type; refuses
    /// an attribute the type lacks at once, and a missing one when the walk reaches it.
    pub(crate) fn object_items<'a>(
        fields: &'a BTreeMap<String, Value>,
        attrs: &'a BTreeMap<String, Type>,
    ) -> Result<impl Iterator<Item = (&'a str, Attribute<'a>)>, CodecError> {
        if let Some(extra) = fields.keys().find(|k| !attrs.contains_key(*k)) {
            return Err(CodecError::invalid(format!(
                "unsupported attribute {extra:?}"
            )));
        }
        Ok(attrs.iter().map(|(name, aty)| {
            let attr = match fields.get(name) {
                Some(item) => Ok((item, aty)),
                None => Err(CodecError::invalid(format!(
                    "attribute {name:?} is missing"
                ))),
            };
            (name.as_str(), attr)
        }))
    }

    /// The error for a value whose kind does not fit its type.
    pub(crate) fn mismatch(value: &Value, ty: &Type) -> CodecError {
        match ty {
            Type::Dynamic => CodecError::mismatch(
                "a dynamic value (Value::Dynamic with its type)",
                value.kind(),
            ),
            _ => CodecError::mismatch(ty.kind(), value.kind()),
        }
    }
}

/// One step of the path to a nested value, used to say where a codec error happened.
pub(crate) enum Seg<'a> {
    Attr(&'a str),
    Key(&'a str),
    Index(usize),
}

impl CodecError {
    /// Prefixes the error's path with `seg`, as the error travels up out of a nested value.
    pub(crate) fn at(mut self, seg: Seg<'_>) -> CodecError {
        if let CodecError::TypeMismatch { path, .. } | CodecError::Invalid { path, .. } = &mut self
        {
            let prefix = match seg {
                Seg::Attr(name) => format!(".{name}"),
                Seg::Key(key) => format!("[{key:?}]"),
                Seg::Index(i) => format!("[{i}]"),
            };
            path.insert_str(0, &prefix);
        }
        self
    }

    /// Names the top of the path, so an error about the whole value does not read "at : ...".
    pub(crate) fn rooted(mut self) -> CodecError {
        if let CodecError::TypeMismatch { path, .. } | CodecError::Invalid { path, .. } = &mut self
        {
            if path.is_empty() {
                path.push_str("(root)");
            }
        }
        self
    }

    /// An error about the value at the current position (the path is filled in on the way up).
    pub(crate) fn invalid(message: impl Into<String>) -> CodecError {
        CodecError::Invalid {
            path: String::new(),
            message: message.into(),
        }
    }

    /// A value of the wrong kind at the current position.
    pub(crate) fn mismatch(expected: impl Into<String>, found: impl Into<String>) -> CodecError {
        CodecError::TypeMismatch {
            path: String::new(),
            expected: expected.into(),
            found: found.into(),
        }
    }
}

impl Type {
    /// A short name of the type's kind for error messages (`list`, not the whole element type).
    pub fn kind(&self) -> &'static str {
        match self {
            Type::Bool => "bool",
            Type::Number => "number",
            Type::String => "string",
            Type::List(_) => "list",
            Type::Set(_) => "set",
            Type::Map(_) => "map",
            Type::Object(_) => "object",
            Type::Tuple(_) => "tuple",
            Type::Dynamic => "dynamic",
        }
    }

    /// An object type from `(name, type)` pairs.
    pub fn object<I, S>(fields: I) -> Type
    where
        I: IntoIterator<Item = (S, Type)>,
        S: Into<String>,
    {
        Type::Object(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }
}

impl Value {
    /// A short name of the value's kind for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
            Value::Tuple(_) => "tuple",
            Value::Dynamic(..) => "dynamic",
        }
    }

    /// An object value from `(name, value)` pairs.
    pub fn object<I, S>(fields: I) -> Value
    where
        I: IntoIterator<Item = (S, Value)>,
        S: Into<String>,
    {
        Value::Object(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when neither this value nor anything nested in it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }

    /// The attribute `name` of an object value; `None` for other values or a missing attribute.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.get(name),
            _ => None,
        }
    }

    /// Mutable access to the attribute `name` of an object value.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) => m.get_mut(name),
            _ => None,
        }
    }

    /// Sets attribute `name` of an object value (no-op on other values).
    pub fn set(&mut self, name: &str, value: Value) {
        if let Value::Object(m) = self {
            m.insert(name.to_string(), value);
        }
    }

    /// The string, when this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, when this is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as `i64`, when it is a known integral number that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(Number::Int(i)) => Some(*i),
            Value::Number(Number::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                Some(*f as i64)
            }
            _ => None,
        }
    }

    /// Attribute `name` as a string (`None` when missing, null, unknown or not a string).
    pub fn str_attr(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// Attribute `name` as a bool (`None` when missing, null, unknown or not a bool).
    pub fn bool_attr(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(Value::as_bool)
    }

    /// The null value of `ty`'s shape is just `Null`; this builds an object of nulls for an
    /// object type, which is what a resource's state looks like before anything is known.
    pub fn null_object(ty: &Type) -> Value {
        match ty {
            Type::Object(fields) => {
                Value::Object(fields.keys().map(|k| (k.clone(), Value::Null)).collect())
            }
            _ => Value::Null,
        }
    }
}
