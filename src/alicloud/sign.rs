//! Request signing (V2 `HMAC-SHA1` and V3 `ACS3-HMAC-SHA256`) as pure functions.
//!
//! Every stage is its own function so that tests (and the emulator, which verifies what clients
//! send) can check each one separately. The clock and the nonce are arguments: nothing here reads
//! the time or draws randomness.
//!
//! # Where the parameters go
//!
//! - V2 (RPC style): all parameters, common and specific, are sent in the
//!   `application/x-www-form-urlencoded` POST body, as the official Go SDK and the alicloud
//!   Terraform provider do; the signature covers every parameter except `Signature`, wherever it
//!   travels, so the server merges query and body before verifying.
//! - V3 (RPC style): the official Tea-based SDKs (e.g. PyPI `alibabacloud_polardb20170801`) put
//!   the action's parameters in the **query string**, send an empty body, and pass action,
//!   version, date, nonce and payload hash as `x-acs-*` headers. We do the same, so the canonical
//!   query is made of the action's parameters and the payload hash is that of the empty body.

use std::time::SystemTime;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Digest as _;

use super::credentials::Credentials;
use crate::timefmt;

/// The V3 algorithm name, used in the string to sign and the `Authorization` header.
pub const ALGORITHM_V3: &str = "ACS3-HMAC-SHA256";

/// What Alibaba's signers encode: every byte but RFC 3986's unreserved `A-Z a-z 0-9 - _ . ~`.
const ENCODED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes UTF-8 as Alibaba's signers do: only `A-Z a-z 0-9 - _ . ~` stay as they are,
/// every other byte becomes `%XX` (upper-case hex), so space is `%20` and `*` is `%2A`.
pub fn percent_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, ENCODED).to_string()
}

/// Bytes as lower-case hex: the one hex encoder (digests, signatures, nonces, tokens).
pub fn hex_lower(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 0x0f)]));
    }
    s
}

/// The canonical query: parameters sorted by name (then value, for repeated names), each
/// `encode(name)=encode(value)`, joined by `&`. `Signature` itself is left out, so a server can
/// pass every parameter it received.
pub fn canonical_query(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> =
        params.iter().filter(|(k, _)| k != "Signature").collect();
    sorted.sort();
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// V2 string to sign: `METHOD&%2F&` + encode(canonical query).
pub fn string_to_sign_v2(method: &str, canonical_query: &str) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode("/"),
        percent_encode(canonical_query)
    )
}

/// V2 signature: base64 of HMAC-SHA1 keyed with `secret + "&"`.
pub fn signature_v2(secret: &str, string_to_sign: &str) -> String {
    let key = format!("{secret}&");
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The common V2 parameters for one attempt, without `Signature`.
pub fn common_params_v2(
    action: &str,
    version: &str,
    creds: &Credentials,
    timestamp: SystemTime,
    nonce: &str,
) -> Vec<(String, String)> {
    let mut p = vec![
        ("Action".to_string(), action.to_string()),
        ("Version".to_string(), version.to_string()),
        ("Format".to_string(), "JSON".to_string()),
        ("AccessKeyId".to_string(), creds.access_key_id.clone()),
        ("SignatureMethod".to_string(), "HMAC-SHA1".to_string()),
        ("SignatureVersion".to_string(), "1.0".to_string()),
        ("SignatureNonce".to_string(), nonce.to_string()),
        ("Timestamp".to_string(), timefmt::iso8601_seconds(timestamp)),
    ];
    if let Some(token) = &creds.security_token {
        p.push(("SecurityToken".to_string(), token.expose().to_string()));
    }
    p
}

/// Signs one V2 request: returns `params` plus the common parameters and `Signature`, ready to
/// be form-encoded into the body.
#[allow(clippy::too_many_arguments)]
pub fn sign_v2(
    method: &str,
    action: &str,
    version: &str,
    params: &[(String, String)],
    creds: &Credentials,
    timestamp: SystemTime,
    nonce: &str,
) -> Vec<(String, String)> {
    let mut all = common_params_v2(action, version, creds, timestamp, nonce);
    all.extend(params.iter().cloned());
    let sts = string_to_sign_v2(method, &canonical_query(&all));
    let signature = signature_v2(creds.access_key_secret.expose(), &sts);
    all.push(("Signature".to_string(), signature));
    all
}

/// Hex SHA-256 of a request body: the V3 `x-acs-content-sha256` and hashed payload.
pub fn hashed_payload(body: &[u8]) -> String {
    hex_lower(&sha2::Sha256::digest(body))
}

/// V3 canonical headers and signed headers from `(name, value)` pairs: names lower-cased and
/// sorted, values trimmed; canonical headers are `name:value\n` each, signed headers the names
/// joined by `;`. The caller passes exactly the headers to sign.
pub fn canonical_headers_v3(headers: &[(String, String)]) -> (String, String) {
    let mut h: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    h.sort();
    let canonical: String = h.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed = h
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    (canonical, signed)
}

/// True for headers V3 signs: `host`, `content-type` and every `x-acs-*` header.
pub fn is_signed_header_v3(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "host" || n == "content-type" || n.starts_with("x-acs-")
}

/// V3 canonical request:
/// `METHOD\nURI\ncanonical query\ncanonical headers\nsigned headers\nhashed payload`.
pub fn canonical_request_v3(
    method: &str,
    uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    hashed_payload: &str,
) -> String {
    format!(
        "{}\n{uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{hashed_payload}",
        method.to_ascii_uppercase()
    )
}

/// V3 string to sign: `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request.
pub fn string_to_sign_v3(canonical_request: &str) -> String {
    format!(
        "{ALGORITHM_V3}\n{}",
        hex_lower(&sha2::Sha256::digest(canonical_request.as_bytes()))
    )
}

/// V3 signature: hex HMAC-SHA256 of the string to sign, keyed with the secret itself.
pub fn signature_v3(secret: &str, string_to_sign: &str) -> String {
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(string_to_sign.as_bytes());
    hex_lower(&mac.finalize().into_bytes())
}

/// The V3 `Authorization` header value.
pub fn authorization_v3(access_key_id: &str, signed_headers: &str, signature: &str) -> String {
    format!("{ALGORITHM_V3} Credential={access_key_id},SignedHeaders={signed_headers},Signature={signature}")
}

/// One V3 request to sign. `query` holds the action's parameters (they travel in the query
/// string, see the module docs); `host` is what the `Host` header will carry (with `:port` when
/// not the scheme's default).
#[derive(Clone, Copy, Debug)]
pub struct RequestV3<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub action: &'a str,
    pub version: &'a str,
    pub query: &'a [(String, String)],
    pub body: &'a [u8],
    /// Sent (and signed) only with a non-empty body.
    pub content_type: Option<&'a str>,
}

/// Signs one V3 request: returns every header to send, `Authorization` last.
pub fn sign_v3(
    req: &RequestV3<'_>,
    creds: &Credentials,
    timestamp: SystemTime,
    nonce: &str,
) -> Vec<(String, String)> {
    let payload_hash = hashed_payload(req.body);
    let mut headers = vec![
        ("host".to_string(), req.host.to_string()),
        ("x-acs-action".to_string(), req.action.to_string()),
        ("x-acs-version".to_string(), req.version.to_string()),
        (
            "x-acs-date".to_string(),
            timefmt::iso8601_seconds(timestamp),
        ),
        ("x-acs-signature-nonce".to_string(), nonce.to_string()),
        ("x-acs-content-sha256".to_string(), payload_hash.clone()),
    ];
    if let Some(ct) = req.content_type {
        headers.push(("content-type".to_string(), ct.to_string()));
    }
    if let Some(token) = &creds.security_token {
        headers.push((
            "x-acs-security-token".to_string(),
            token.expose().to_string(),
        ));
    }
    let (canonical_headers, signed_headers) = canonical_headers_v3(&headers);
    let request = canonical_request_v3(
        req.method,
        "/",
        &canonical_query(req.query),
        &canonical_headers,
        &signed_headers,
        &payload_hash,
    );
    let signature = signature_v3(
        creds.access_key_secret.expose(),
        &string_to_sign_v3(&request),
    );
    headers.push((
        "Authorization".to_string(),
        authorization_v3(&creds.access_key_id, &signed_headers, &signature),
    ));
    headers
}

#[cfg(test)]
mod tests {
    //! One test per vector file in `testdata/sign/`; each stage is asserted with its own message.

    use super::*;
    use crate::alicloud::credentials::Secret;
    use serde_json::Value;

    /// A vector file's JSON; a file that does not parse fails the test.
    fn vector(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("vector file is not JSON: {e}"))
    }

    /// The string at `key`; a missing (e.g. misspelt) key fails the test naming the key, so it
    /// can never read as an empty expected value.
    fn s<'a>(v: &'a Value, key: &str) -> &'a str {
        v[key]
            .as_str()
            .unwrap_or_else(|| panic!("vector has no string {key:?} (keys: {:?})", keys(v)))
    }

    /// The keys of an object, for the message naming a missing one.
    fn keys(v: &Value) -> Vec<&str> {
        v.as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// A list of `[name, value]` pairs; anything else fails the test.
    fn pairs(v: &Value) -> Vec<(String, String)> {
        let Some(a) = v.as_array() else {
            panic!("vector pairs are not a list: {v}")
        };
        a.iter()
            .map(|p| (s_at(p, 0).to_string(), s_at(p, 1).to_string()))
            .collect()
    }

    fn s_at(v: &Value, i: usize) -> &str {
        v[i].as_str()
            .unwrap_or_else(|| panic!("vector pair {v} has no string at {i}"))
    }

    fn creds(v: &Value) -> Credentials {
        Credentials {
            access_key_id: s(v, "access_key_id").to_string(),
            access_key_secret: Secret::new(s(v, "secret")),
            security_token: v["security_token"].as_str().map(Secret::new),
        }
    }

    fn time(v: &Value) -> SystemTime {
        let Some(secs) = v["timestamp_unix"].as_i64() else {
            panic!(
                "vector has no integer \"timestamp_unix\" (keys: {:?})",
                keys(v)
            )
        };
        timefmt::from_unix_secs(secs)
    }

    /// Checks every V2 stage of a full-request vector, then `sign_v2` end to end.
    fn check_v2_full(v: &Value) {
        let e = &v["expected"];
        let common = common_params_v2(
            s(v, "action"),
            s(v, "version"),
            &creds(v),
            time(v),
            s(v, "nonce"),
        );
        let mut all = common.clone();
        all.extend(pairs(&v["params"]));
        assert_eq!(
            all,
            pairs(&e["params_without_signature"]),
            "common parameters"
        );
        let cq = canonical_query(&all);
        assert_eq!(cq, s(e, "canonical_query"), "canonical query");
        let sts = string_to_sign_v2(s(v, "method"), &cq);
        assert_eq!(sts, s(e, "string_to_sign"), "string to sign");
        assert_eq!(
            signature_v2(s(v, "secret"), &sts),
            s(e, "signature"),
            "signature"
        );
        let signed = sign_v2(
            s(v, "method"),
            s(v, "action"),
            s(v, "version"),
            &pairs(&v["params"]),
            &creds(v),
            time(v),
            s(v, "nonce"),
        );
        let sig = signed
            .iter()
            .find(|(k, _)| k == "Signature")
            .map(|(_, v)| v.as_str());
        assert_eq!(sig, Some(s(e, "signature")), "sign_v2 Signature parameter");
        assert_eq!(
            signed.len(),
            all.len() + 1,
            "sign_v2 adds only Signature to the parameters"
        );
    }

    /// Checks every V3 stage of a vector, then `sign_v3` end to end.
    fn check_v3(v: &Value) {
        let e = &v["expected"];
        let body = s(v, "body").as_bytes();
        let payload = hashed_payload(body);
        assert_eq!(payload, s(e, "hashed_payload"), "hashed payload");
        let params = pairs(&v["params"]);
        let req = RequestV3 {
            method: s(v, "method"),
            host: s(v, "host"),
            action: s(v, "action"),
            version: s(v, "version"),
            query: &params,
            body,
            content_type: v["content_type"].as_str(),
        };
        let headers = sign_v3(&req, &creds(v), time(v), s(v, "nonce"));
        let to_sign: Vec<(String, String)> = headers
            .iter()
            .filter(|(k, _)| is_signed_header_v3(k))
            .cloned()
            .collect();
        let (ch, sh) = canonical_headers_v3(&to_sign);
        assert_eq!(ch, s(e, "canonical_headers"), "canonical headers");
        assert_eq!(sh, s(e, "signed_headers"), "signed headers");
        let cq = canonical_query(&params);
        assert_eq!(cq, s(e, "canonical_query"), "canonical query");
        let cr = canonical_request_v3(s(v, "method"), "/", &cq, &ch, &sh, &payload);
        assert_eq!(cr, s(e, "canonical_request"), "canonical request");
        let sts = string_to_sign_v3(&cr);
        assert_eq!(sts, s(e, "string_to_sign"), "string to sign");
        let sig = signature_v3(s(v, "secret"), &sts);
        assert_eq!(sig, s(e, "signature"), "signature");
        assert_eq!(
            authorization_v3(s(v, "access_key_id"), &sh, &sig),
            s(e, "authorization"),
            "authorization header"
        );
        let auth = headers
            .iter()
            .find(|(k, _)| k == "Authorization")
            .map(|(_, v)| v.as_str());
        assert_eq!(
            auth,
            Some(s(e, "authorization")),
            "sign_v3 Authorization header"
        );
    }

    /// Alibaba's published V2 example: canonical query, string to sign and signature.
    #[test]
    fn v2_public_stages() {
        let v = vector(include_str!("testdata/sign/v2_public_stages.json"));
        let e = &v["expected"];
        let cq = canonical_query(&pairs(&v["params"]));
        assert_eq!(cq, s(e, "canonical_query"), "canonical query");
        let sts = string_to_sign_v2(s(&v, "method"), &cq);
        assert_eq!(sts, s(e, "string_to_sign"), "string to sign");
        assert_eq!(
            signature_v2(s(&v, "secret"), &sts),
            s(e, "signature"),
            "signature"
        );
    }

    /// A full V2 request with characters that need encoding.
    #[test]
    fn v2_full_request() {
        check_v2_full(&vector(include_str!("testdata/sign/v2_full_request.json")));
    }

    /// A V2 request with STS credentials signs the SecurityToken too.
    #[test]
    fn v2_sts_token() {
        check_v2_full(&vector(include_str!("testdata/sign/v2_sts_token.json")));
    }

    /// Alibaba's published V3 example (RunInstances) reproduces every stage.
    #[test]
    fn v3_public_runinstances() {
        check_v3(&vector(include_str!(
            "testdata/sign/v3_public_runinstances.json"
        )));
    }

    /// A V3 request with a token, a form body, and a host with a port.
    #[test]
    fn v3_sts_form_body() {
        check_v3(&vector(include_str!("testdata/sign/v3_sts_form_body.json")));
    }

    /// A misspelt key in a vector fails the test and names the key, instead of comparing
    /// against an empty expected value.
    #[test]
    #[should_panic(expected = "vector has no string \"signatur\"")]
    fn a_misspelt_vector_key_fails_naming_it() {
        let v = vector(r#"{"expected": {"signature": "abc"}}"#);
        s(&v["expected"], "signatur");
    }

    /// Percent-encoding keeps only unreserved characters and encodes UTF-8 bytes.
    #[test]
    fn percent_encoding_rules() {
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(percent_encode("a b*c+d/e=f&g"), "a%20b%2Ac%2Bd%2Fe%3Df%26g");
        assert_eq!(percent_encode("é中"), "%C3%A9%E4%B8%AD");
    }

    /// The Signature parameter itself never enters the canonical query.
    #[test]
    fn canonical_query_skips_signature() {
        let p = vec![
            ("b".to_string(), "2".to_string()),
            ("Signature".to_string(), "x".to_string()),
            ("a".to_string(), "".to_string()),
        ];
        assert_eq!(canonical_query(&p), "a=&b=2");
    }
}
