//! Fuzzes the msgpack `DynamicValue` decoder and the cty type-JSON reader: no input may panic,
//! hang or allocate wildly, and whatever decodes must re-encode to a stable fixed point.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use terraform_provider_alicloud::tfvalue::{from_msgpack, to_msgpack, Type};

#[path = "types.rs"]
mod types;

static TYPES: OnceLock<Vec<Type>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    for ty in TYPES.get_or_init(types::fixed_types) {
        if let Ok(value) = from_msgpack(data, ty) {
            let once = to_msgpack(&value, ty).expect("a decoded value re-encodes");
            let again = from_msgpack(&once, ty).expect("re-encoded bytes decode");
            let twice = to_msgpack(&again, ty).expect("and re-encode again");
            assert_eq!(once, twice, "encoding is not a fixed point");
        }
    }
    if let Ok(ty) = Type::from_json(data) {
        let back = Type::from_json(ty.to_json().as_bytes()).expect("a written type reads back");
        assert_eq!(back, ty);
    }
});
