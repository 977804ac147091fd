//! The msgpack codec of Terraform's `DynamicValue`.

use super::{CodecError, Type, Value};

pub fn from_msgpack(_bytes: &[u8], _ty: &Type) -> Result<Value, CodecError> {
    Err(CodecError::Eof)
}

pub fn to_msgpack(_value: &Value, _ty: &Type) -> Result<Vec<u8>, CodecError> {
    Err(CodecError::Eof)
}
