//! Lenient readers for JSON fields whose type varies between API versions (numbers sent as
//! strings and the other way round), so one response shape change does not break a resource.

use serde_json::Value;

use super::error::{ApiError, ErrorKind, UNEXPECTED_RESPONSE};

/// A string, or a number or boolean printed; `""` when absent or null.
pub fn string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// An integer from a number (integral or not) or a numeric string.
pub fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().map(|f| f as i64))
        }
        _ => None,
    }
}

/// The elements of an array; a single object counts as a one-element list, anything else empty.
pub fn list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![v],
        _ => Vec::new(),
    }
}

/// The first non-empty `field` (read with [`string`]) of the items of `v`, an object or a list
/// of them (see [`list`]); `None` when no item has one.
pub fn first_string(v: &Value, field: &str) -> Option<String> {
    list(v)
        .into_iter()
        .map(|item| string(&item[field]))
        .find(|s| !s.is_empty())
}

/// The error for a successful answer that lacks what the call needs.
pub fn missing(action: &str, body: &Value, what: &str) -> ApiError {
    let mut e = ApiError::local(
        ErrorKind::Other,
        action,
        UNEXPECTED_RESPONSE,
        format!("the response has no {what}"),
    );
    let rid = string(&body["RequestId"]);
    e.request_id = (!rid.is_empty()).then_some(rid);
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Numbers and strings read the same way; junk reads as absent.
    #[test]
    fn reads_both_shapes() {
        assert_eq!(string(&json!(627833)), "627833");
        assert_eq!(string(&json!("627833")), "627833");
        assert_eq!(string(&Value::Null), "");
        assert_eq!(int(&json!("42")), Some(42));
        assert_eq!(int(&json!(42)), Some(42));
        assert_eq!(int(&json!(4.0)), Some(4));
        assert_eq!(int(&json!("x")), None);
        assert_eq!(list(&json!({"a": 1})).len(), 1);
        assert_eq!(list(&json!([1, 2])).len(), 2);
        assert!(list(&Value::Null).is_empty());
    }

    /// The first item with a non-empty field wins, in an object or a list; none gives `None`.
    #[test]
    fn first_string_of_object_or_list() {
        assert_eq!(first_string(&json!({"Id": 7}), "Id").as_deref(), Some("7"));
        let items = json!([{"Id": ""}, {"Other": 1}, {"Id": "b"}, {"Id": "c"}]);
        assert_eq!(first_string(&items, "Id").as_deref(), Some("b"));
        assert_eq!(first_string(&json!([{"Id": null}]), "Id"), None);
        assert_eq!(first_string(&Value::Null, "Id"), None);
    }
}
