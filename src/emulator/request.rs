//! An API request as the emulator sees it: method, raw query, headers and form body, merged into
//! one parameter map the way the cloud accepts parameters from either place.

use std::collections::BTreeMap;

/// Which of the emulator's endpoints a request arrived on: the cloud's products have a host each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Endpoint {
    /// A listener that serves both products (the in-process server, and tests of it).
    #[default]
    Any,
    /// The PolarDB endpoint (the first address the binary announces).
    Polardb,
    /// The PolarDB-X endpoint (the second address).
    Polardbx,
}

impl Endpoint {
    /// The product this endpoint is the host of, if it is one product's.
    pub fn product(self) -> Option<&'static str> {
        match self {
            Endpoint::Any => None,
            Endpoint::Polardb => Some("polardb"),
            Endpoint::Polardbx => Some("polardbx"),
        }
    }
}

/// One incoming RPC request, already read off the wire.
#[derive(Clone, Debug, Default)]
pub struct ApiRequest {
    /// The endpoint it arrived on.
    pub endpoint: Endpoint,
    pub method: String,
    pub path: String,
    /// The query string pairs, decoded, in wire order (V3 signs these).
    pub query: Vec<(String, String)>,
    /// Lower-cased header names with their values.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Query and form-body parameters together; the body wins on a clash.
    pub params: BTreeMap<String, String>,
}

impl ApiRequest {
    /// Builds a request from its parts. A body is read as form parameters only when its content
    /// type says so (or is absent), as the cloud does; anything else is left to the body hash.
    pub fn new(
        method: &str,
        path: &str,
        raw_query: Option<&str>,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> ApiRequest {
        let query = raw_query.map(parse_pairs).unwrap_or_default();
        let mut params: BTreeMap<String, String> = query.iter().cloned().collect();
        let content_type = headers
            .iter()
            .find(|(k, _)| k == "content-type")
            .map(|(_, v)| v.to_ascii_lowercase())
            .unwrap_or_default();
        let form = content_type.is_empty()
            || content_type.starts_with("application/x-www-form-urlencoded");
        if form && !body.is_empty() {
            if let Ok(text) = std::str::from_utf8(&body) {
                params.extend(parse_pairs(text));
            }
        }
        ApiRequest {
            endpoint: Endpoint::Any,
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            query,
            headers,
            body,
            params,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// A parameter that must be present and non-empty.
    pub fn required(&self, name: &str) -> Result<&str, super::error::ApiFailure> {
        match self.param(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(super::error::ApiFailure::missing(name)),
        }
    }

    /// The action, from the `Action` parameter (V2) or the `x-acs-action` header (V3).
    pub fn action(&self) -> Option<&str> {
        self.param("Action").or_else(|| self.header("x-acs-action"))
    }

    /// The API version, from `Version` (V2) or `x-acs-version` (V3).
    pub fn version(&self) -> Option<&str> {
        self.param("Version")
            .or_else(|| self.header("x-acs-version"))
    }

    /// Parameters for the request log: without the signature, with an STS token (a
    /// credential) replaced by a marker, and names and values cut to `max` characters.
    pub fn loggable_params(&self, max: usize) -> BTreeMap<String, String> {
        let cut = |s: &str| {
            if s.chars().count() > max {
                let mut c: String = s.chars().take(max).collect();
                c.push_str("...<cut>");
                c
            } else {
                s.to_string()
            }
        };
        self.params
            .iter()
            .filter(|(k, _)| k.as_str() != "Signature")
            .map(|(k, v)| {
                let v = if k == "SecurityToken" {
                    "<redacted>".to_string()
                } else {
                    cut(v)
                };
                (cut(k), v)
            })
            .collect()
    }
}

/// Decodes `a=1&b=x%20y` pairs. `+` is a space, as in HTML forms.
pub fn parse_pairs(s: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Query and form body merge into one map, and the body is read only when it is a form.
    #[test]
    fn merges_query_and_form_body() {
        let form = vec![(
            "content-type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        )];
        let r = ApiRequest::new(
            "post",
            "/",
            Some("Action=A&X=1"),
            form,
            b"Y=a%20b&X=2".to_vec(),
        );
        assert_eq!(r.param("Action"), Some("A"));
        assert_eq!(r.param("Y"), Some("a b"));
        assert_eq!(r.param("X"), Some("2"), "the body wins on a clash");
        assert_eq!(r.method, "POST");
        let json = vec![("content-type".to_string(), "application/json".to_string())];
        let r = ApiRequest::new("POST", "/", None, json, b"Y=1".to_vec());
        assert_eq!(r.param("Y"), None);
    }

    /// The request log never sees the signature or an STS token.
    #[test]
    fn loggable_params_hide_credentials() {
        let r = ApiRequest::new(
            "GET",
            "/",
            Some("Signature=abc&SecurityToken=tok&Action=A"),
            Vec::new(),
            Vec::new(),
        );
        let p = r.loggable_params(100);
        assert_eq!(p.get("Signature"), None);
        assert_eq!(
            p.get("SecurityToken").map(String::as_str),
            Some("<redacted>")
        );
        assert_eq!(p.get("Action").map(String::as_str), Some("A"));
    }

    /// V3 requests name the action and version in headers.
    #[test]
    fn action_and_version_from_headers() {
        let h = vec![
            ("x-acs-action".to_string(), "CreateBackup".to_string()),
            ("x-acs-version".to_string(), "2017-08-01".to_string()),
        ];
        let r = ApiRequest::new("POST", "/", None, h, Vec::new());
        assert_eq!(r.action(), Some("CreateBackup"));
        assert_eq!(r.version(), Some("2017-08-01"));
        assert!(r.required("DBClusterId").is_err());
    }
}
