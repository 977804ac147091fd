//! Fuzzes the JSON value decoder (`RawState.json`): no input may panic or hang, and whatever
//! decodes must re-encode and decode to the same value.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use terraform_provider_alicloud::tfvalue::{
    from_json, from_json_ignoring_unknown_attributes, to_json, Type,
};

#[path = "types.rs"]
mod types;

static TYPES: OnceLock<Vec<Type>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    for ty in TYPES.get_or_init(types::fixed_types) {
        if let Ok(value) = from_json(data, ty) {
            let text = to_json(&value, ty).expect("a decoded value re-encodes");
            let back = from_json(&text, ty).expect("re-encoded JSON decodes");
            assert_eq!(back, value, "JSON round trip changed the value");
        }
        let _ = from_json_ignoring_unknown_attributes(data, ty);
    }
});
