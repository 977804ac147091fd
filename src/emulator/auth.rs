//! Request authentication as the gateway does it: V2 (`HMAC-SHA1`) and V3 (`ACS3-HMAC-SHA256`)
//! signatures against the configured access keys, the 15-minute clock window, and nonce reuse.

use std::collections::HashMap;

use subtle::ConstantTimeEq;

use super::error::ApiFailure;
use super::request::ApiRequest;

/// How far a request's clock may be from ours, either way, and how long a nonce is remembered.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// An access key the emulator accepts. The secret never reaches `Debug` output.
#[derive(Clone)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AccessKey {{ id: {:?}, secret: \"<redacted>\" }}",
            self.id
        )
    }
}

/// Nonces seen within the window, keyed by access key and nonce.
#[derive(Debug, Default)]
pub struct NonceCache {
    seen: HashMap<(String, String), i64>,
}

impl NonceCache {
    /// Records the nonce; false when it was already used within the window.
    pub fn insert(&mut self, key_id: &str, nonce: &str, now_ms: i64) -> bool {
        self.seen.retain(|_, at| now_ms - *at < WINDOW_MS);
        let k = (key_id.to_string(), nonce.to_string());
        if self.seen.contains_key(&k) {
            return false;
        }
        self.seen.insert(k, now_ms);
        true
    }
}

/// Which signature scheme a request used (recorded in the request log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    V2,
    V3,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::V2 => "V2",
            Scheme::V3 => "V3",
        }
    }
}

/// Checks the request's signature, clock and nonce; on success returns the scheme and the access
/// key id it was signed with. The nonce is remembered only for requests that pass every other
/// check, so a refused request can be corrected and resent.
pub fn authenticate(
    req: &ApiRequest,
    keys: &[AccessKey],
    nonces: &mut NonceCache,
    now_ms: i64,
) -> Result<(Scheme, String), ApiFailure> {
    match req.header("authorization") {
        Some(auth) => authenticate_v3(req, auth, keys, nonces, now_ms),
        None => authenticate_v2(req, keys, nonces, now_ms),
    }
}

fn find_key<'a>(keys: &'a [AccessKey], id: &str) -> Result<&'a AccessKey, ApiFailure> {
    keys.iter()
        .find(|k| k.id == id)
        .ok_or_else(ApiFailure::access_key_not_found)
}

fn check_clock(stamp: &str, now_ms: i64) -> Result<(), ApiFailure> {
    let secs = crate::timefmt::parse_iso8601(stamp).ok_or_else(ApiFailure::timestamp_format)?;
    if (now_ms - secs * 1000).abs() > WINDOW_MS {
        return Err(ApiFailure::timestamp_expired());
    }
    Ok(())
}

fn authenticate_v2(
    req: &ApiRequest,
    keys: &[AccessKey],
    nonces: &mut NonceCache,
    now_ms: i64,
) -> Result<(Scheme, String), ApiFailure> {
    let key_id = req.required("AccessKeyId")?;
    let signature = req.required("Signature")?;
    let method = req.param("SignatureMethod").unwrap_or("HMAC-SHA1");
    if method != "HMAC-SHA1" {
        return Err(ApiFailure::unsupported_signature_method());
    }
    if let Some(v) = req.param("SignatureVersion") {
        if v != "1.0" {
            return Err(ApiFailure::malformed("SignatureVersion"));
        }
    }
    let timestamp = req.required("Timestamp")?;
    let nonce = req.required("SignatureNonce")?;
    let key = find_key(keys, key_id)?;
    check_clock(timestamp, now_ms)?;
    let signed: Vec<(String, String)> = req
        .params
        .iter()
        .filter(|(k, _)| k.as_str() != "Signature")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let expected = algo::v2(&key.secret, &req.method, &signed);
    if !same(expected.as_bytes(), signature.as_bytes()) {
        return Err(ApiFailure::signature_mismatch());
    }
    if !nonces.insert(key_id, nonce, now_ms) {
        return Err(ApiFailure::nonce_used());
    }
    Ok((Scheme::V2, key_id.to_string()))
}

/// The parts of a V3 `Authorization` header.
struct V3Auth<'a> {
    credential: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_v3_header(auth: &str) -> Result<V3Auth<'_>, ApiFailure> {
    let rest = auth
        .strip_prefix("ACS3-HMAC-SHA256")
        .ok_or_else(ApiFailure::unsupported_signature_method)?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            continue;
        };
        match k.trim() {
            "Credential" => credential = Some(v.trim()),
            "SignedHeaders" => signed = Some(v.trim()),
            "Signature" => signature = Some(v.trim()),
            _ => {}
        }
    }
    match (credential, signed, signature) {
        (Some(c), Some(s), Some(sig)) if !c.is_empty() && !sig.is_empty() => Ok(V3Auth {
            credential: c,
            signed_headers: s.split(';').filter(|h| !h.is_empty()).collect(),
            signature: sig,
        }),
        _ => Err(ApiFailure::incomplete_signature()),
    }
}

fn authenticate_v3(
    req: &ApiRequest,
    auth: &str,
    keys: &[AccessKey],
    nonces: &mut NonceCache,
    now_ms: i64,
) -> Result<(Scheme, String), ApiFailure> {
    let parsed = parse_v3_header(auth)?;
    let date = req
        .header("x-acs-date")
        .ok_or_else(|| ApiFailure::missing("x-acs-date"))?;
    let nonce = req
        .header("x-acs-signature-nonce")
        .ok_or_else(|| ApiFailure::missing("x-acs-signature-nonce"))?;
    // The date and nonce guard against replay only if they are signed.
    for must in ["x-acs-date", "x-acs-signature-nonce"] {
        if !parsed.signed_headers.contains(&must) {
            return Err(ApiFailure::incomplete_signature());
        }
    }
    let key = find_key(keys, parsed.credential)?;
    check_clock(date, now_ms)?;
    let body_hash = crate::alicloud::sign::hashed_payload(&req.body);
    let claimed_hash = req.header("x-acs-content-sha256").unwrap_or(&body_hash);
    if !claimed_hash.eq_ignore_ascii_case(&body_hash) {
        return Err(ApiFailure::signature_mismatch());
    }
    let mut headers = Vec::new();
    for name in &parsed.signed_headers {
        let value = req
            .header(name)
            .ok_or_else(ApiFailure::incomplete_signature)?;
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let path = if req.path.is_empty() { "/" } else { &req.path };
    let expected = algo::v3(
        &key.secret,
        &req.method,
        path,
        &req.query,
        &headers,
        claimed_hash,
    );
    if !same(
        expected.as_bytes(),
        parsed.signature.to_ascii_lowercase().as_bytes(),
    ) {
        return Err(ApiFailure::signature_mismatch());
    }
    if !nonces.insert(parsed.credential, nonce, now_ms) {
        return Err(ApiFailure::nonce_used());
    }
    Ok((Scheme::V3, parsed.credential.to_string()))
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// The expected signatures, computed with the client's signer (`alicloud::sign`): the crate has
/// one implementation of each algorithm, and the emulator only adapts its view of a request.
mod algo {
    use crate::alicloud::sign;

    /// The V2 signature (base64) of `params` (all but `Signature`) sent with `method`.
    pub fn v2(secret: &str, method: &str, params: &[(String, String)]) -> String {
        let sts = sign::string_to_sign_v2(method, &sign::canonical_query(params));
        sign::signature_v2(secret, &sts)
    }

    /// The V3 signature (lower-case hex) of a request, over exactly the headers it says it signed.
    pub fn v3(
        secret: &str,
        method: &str,
        path: &str,
        query: &[(String, String)],
        headers: &[(String, String)],
        payload_hash: &str,
    ) -> String {
        let (canonical_headers, signed_headers) = sign::canonical_headers_v3(headers);
        let request = sign::canonical_request_v3(
            method,
            path,
            &sign::canonical_query(query),
            &canonical_headers,
            &signed_headers,
            payload_hash,
        );
        sign::signature_v3(secret, &sign::string_to_sign_v3(&request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The public V2 vector: query=test, body=test, GET, secret "secret".
    #[test]
    fn v2_public_vector() {
        let params = vec![
            ("query".to_string(), "test".to_string()),
            ("body".to_string(), "test".to_string()),
        ];
        assert_eq!(
            algo::v2("secret", "GET", &params),
            "XlUyV4sXjOuX5FnjUz9IF9tm5rU="
        );
    }

    /// A nonce is refused a second time within the window and accepted after it.
    #[test]
    fn nonce_window() {
        let mut c = NonceCache::default();
        assert!(c.insert("ak", "n1", 0));
        assert!(!c.insert("ak", "n1", 1000));
        assert!(c.insert("other", "n1", 1000), "nonces are per access key");
        assert!(c.insert("ak", "n1", WINDOW_MS + 1));
    }

    /// A V3 header without a signature is incomplete; another algorithm is unsupported.
    #[test]
    fn v3_header_parsing() {
        let ok = parse_v3_header(
            "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-date,Signature=abc",
        )
        .map(|a| (a.credential, a.signed_headers, a.signature));
        assert_eq!(ok, Ok(("AK", vec!["host", "x-acs-date"], "abc")));
        let missing = parse_v3_header("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host");
        assert_eq!(
            missing.err().map(|e| e.code),
            Some("IncompleteSignature".into())
        );
        let other = parse_v3_header("ACS3-HMAC-SM3 Credential=AK");
        assert_eq!(
            other.err().map(|e| e.code),
            Some("InvalidSignatureMethod".into())
        );
    }

    /// Secrets stay out of Debug output.
    #[test]
    fn access_key_debug_redacts() {
        let k = AccessKey {
            id: "id".into(),
            secret: "s3cr3t".into(),
        };
        assert_eq!(
            format!("{k:?}"),
            "AccessKey { id: \"id\", secret: \"<redacted>\" }"
        );
    }
}
