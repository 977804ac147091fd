//! API errors and their one classification, used by retries and diagnostics alike.
//!
//! # Error codes and their kinds
//!
//! [`classify`] decides on the service's `Code` first and the HTTP status second. The codes come
//! from Alibaba's error-code tables: the PolarDB 2017-08-01 API reference
//! (<https://www.alibabacloud.com/help/en/polardb/api-polardb-2017-08-01-errorcodes>), the
//! PolarDB-X 2020-02-02 one, the common errors of the RPC gateway (the "Common errors" pages,
//! e.g. `Forbidden.InstanceNotFound` and `Forbidden.ClusterNotFound` with HTTP 404), and the codes
//! the official alicloud Terraform provider checks. The documented table is the test
//! `tests::CLASSIFICATION` below, one row per code with its source: it is the one place that says
//! which code is which kind, and it is checked against `classify`.
//!
//! Rules, in order: `Throttling` anywhere is throttling; `ServiceUnavailable`, `InternalError`,
//! `UnknownError` are server errors; a code that names something not found (`NotFound` itself,
//! `*.NotFound`, `Forbidden.*NotFound`) is not-found, except the access key's, which is auth;
//! signature, key, token and permission codes (`Forbidden*` and its documented misspellings
//! `Forbbiden*` and `Forbedden*`) are auth; quota, state and parameter codes follow; any other code
//! with HTTP 500/502/503/504 is a server error.
//!
//! Why `SignatureNonceUsed` is `Auth`, not retryable: every attempt carries a fresh 128-bit
//! nonce, so a reused one means a replay or a broken random source, which retrying would hide.
//! Why `InvalidTimeStamp.Expired` is `Auth`: it means the local clock is off by more than
//! 15 minutes; only the user can fix that.

/// What kind of failure an [`ApiError`] is. Retries and diagnostics both decide on this alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The service refused the request for rate (`Throttling*`): not executed, retryable.
    Throttling,
    /// A server-side failure (`ServiceUnavailable`, `InternalError`, `UnknownError`, HTTP 5xx with
    /// an error body): treated as not executed, retryable.
    ServerError,
    /// The request never reached the service (DNS, connect refused, TLS): retryable.
    Connect,
    /// The request was sent but no answer came (read timeout, connection dropped): the outcome is
    /// unknown. Retried only for idempotent calls.
    Ambiguous,
    /// The cluster, instance or backup does not exist.
    NotFound,
    /// Wrong, missing or unauthorised credentials, or a bad signature.
    Auth,
    /// A parameter the service refused.
    InvalidInput,
    /// A quota or limit (e.g. three manual backups per PolarDB cluster).
    Quota,
    /// The target is in a state that does not allow the operation (e.g. cluster not Running).
    InvalidState,
    /// Anything else, including a response that could not be parsed.
    Other,
    /// The provider was asked to stop (Ctrl-C, SIGTERM) while the call was waiting or in flight.
    /// The code says whether a request may have reached the service: [`codes::STOPPED`] (it
    /// may have: a create keeps its token or adopts) or [`codes::STOPPED_BEFORE_SEND`] (it did
    /// not). Never retried.
    Stopped,
}

/// The error codes this crate knows by name, with the HTTP status Alibaba sends them with.
/// The emulator emits exactly these, so client and emulator agree on one list.
pub mod codes {
    /// 400: request rate over the limit (the API gateway also sends `Throttling.User`).
    pub const THROTTLING: &str = "Throttling";
    /// 400: per-user flow control.
    pub const THROTTLING_USER: &str = "Throttling.User";
    /// 503: the service is temporarily unavailable.
    pub const SERVICE_UNAVAILABLE: &str = "ServiceUnavailable";
    /// 500: an internal failure.
    pub const INTERNAL_ERROR: &str = "InternalError";
    /// 404: the PolarDB cluster does not exist.
    pub const INVALID_DB_CLUSTER_ID_NOT_FOUND: &str = "InvalidDBClusterId.NotFound";
    /// 400: the PolarDB backup does not exist (DeleteBackup; spelled `BackupSetID`).
    pub const INVALID_BACKUP_SET_ID_NOT_FOUND: &str = "InvalidBackupSetID.NotFound";
    /// 404: the PolarDB-X instance does not exist.
    pub const DB_INSTANCE_NOT_FOUND: &str = "DBInstance.NotFound";
    /// 404: the access key id is unknown.
    pub const INVALID_ACCESS_KEY_ID_NOT_FOUND: &str = "InvalidAccessKeyId.NotFound";
    /// 400: the signature does not match.
    pub const SIGNATURE_DOES_NOT_MATCH: &str = "SignatureDoesNotMatch";
    /// 400: a signature parameter or header is missing.
    pub const INCOMPLETE_SIGNATURE: &str = "IncompleteSignature";
    /// 400: the signature nonce was used before (within 15 minutes).
    pub const SIGNATURE_NONCE_USED: &str = "SignatureNonceUsed";
    /// 400: the timestamp is more than 15 minutes away from the server's clock.
    pub const INVALID_TIMESTAMP_EXPIRED: &str = "InvalidTimeStamp.Expired";
    /// 400: the timestamp is not `yyyy-MM-ddTHH:mm:ssZ`.
    pub const INVALID_TIMESTAMP_FORMAT: &str = "InvalidTimeStamp.Format";
    /// 403: the STS token has expired.
    pub const INVALID_SECURITY_TOKEN_EXPIRED: &str = "InvalidSecurityToken.Expired";
    /// 403: the RAM user may not call this action.
    pub const FORBIDDEN_RAM: &str = "Forbidden.RAM";
    /// 403: PolarDB already holds three manual backups
    /// ("Exceeding the daily backup times of this DB cluster").
    pub const BACKUP_TIMES_EXCEEDED: &str = "BackupTimesExceeded";
    /// 400: the same ClientToken was used with different parameters.
    pub const IDEMPOTENT_PARAMETER_MISMATCH: &str = "IdempotentParameterMismatch";
    /// 400: a required parameter is absent.
    pub const MISSING_PARAMETER: &str = "MissingParameter";
    /// 400: a parameter value is invalid.
    pub const INVALID_PARAMETER: &str = "InvalidParameter";
    /// 404: the action does not exist in this API version.
    pub const INVALID_ACTION_NOT_FOUND: &str = "InvalidAction.NotFound";
    /// 400: the API version is unknown.
    pub const INVALID_VERSION: &str = "InvalidVersion";
    /// 403: the PolarDB cluster is not Running.
    pub const OPERATION_DENIED_DB_CLUSTER_STATUS: &str = "OperationDenied.DBClusterStatus";
    /// 403: the PolarDB-X instance is not in a state that allows the operation.
    pub const INCORRECT_DB_INSTANCE_STATE: &str = "IncorrectDBInstanceState";
    /// 400: the backup is not in a state that allows the operation (e.g. delete while running).
    pub const INCORRECT_BACKUP_STATUS: &str = "IncorrectBackupStatus";
    /// 404 (common error): the instance does not exist, despite the `Forbidden` prefix.
    pub const FORBIDDEN_INSTANCE_NOT_FOUND: &str = "Forbidden.InstanceNotFound";

    /// Client side: a 2xx answer with `"Success": false` and no `Code` (PolarDB-X has answered
    /// so); the error carries the answer's `Message` and `RequestId`.
    pub const UNSUCCESSFUL: &str = "Unsuccessful";
    /// Client side: stopped while a request was in flight; it may have reached the service.
    pub const STOPPED: &str = "Stopped";
    /// Client side: stopped before any request of this attempt was sent.
    pub const STOPPED_BEFORE_SEND: &str = "StoppedBeforeSend";
    /// Client side: the answer was larger than the client reads.
    pub const RESPONSE_TOO_LARGE: &str = "ResponseTooLarge";
}

/// The one classification of an error code and HTTP status; see the module docs for the rules
/// and `tests::CLASSIFICATION` for the documented codes.
pub fn classify(code: &str, http_status: Option<u16>) -> ErrorKind {
    const AUTH_EXACT: &[&str] = &[
        "InvalidAccessKeyId",
        "InvalidAccessKeySecret",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "SignatureNonceUsed",
        "InvalidTimeStamp.Expired",
        "NoPermission",
        "RAM.Permission.Denied",
        "InvalidSecurityToken",
        "ActionUnauthorized",
        "RegionUnauthorized",
    ];
    const INPUT_EXACT: &[&str] = &[
        "IdempotentParameterMismatch",
        "InvalidAction.NotFound",
        "InvalidAction",
        "InvalidVersion",
        "InvalidTimeStamp.Format",
        "IllegalTimestamp",
        "UnsupportedParameter",
        "UnsupportedHTTPMethod",
        "InvalidParameterCombination",
    ];
    let forbidden = ["Forbidden", "Forbbiden", "Forbedden"]
        .iter()
        .any(|p| code.starts_with(p));
    if code.contains("Throttling") {
        return ErrorKind::Throttling;
    }
    if ["ServiceUnavailable", "InternalError", "UnknownError"]
        .iter()
        .any(|c| code.contains(c))
    {
        return ErrorKind::ServerError;
    }
    if code.starts_with("InvalidAccessKeyId") {
        return ErrorKind::Auth;
    }
    if INPUT_EXACT.contains(&code) {
        return ErrorKind::InvalidInput;
    }
    let names_missing_thing = code == "NotFound"
        || code.ends_with(".NotFound")
        || (forbidden && code.ends_with("NotFound"));
    if names_missing_thing {
        return ErrorKind::NotFound;
    }
    if AUTH_EXACT.contains(&code) || code.starts_with("InvalidSecurityToken.") || forbidden {
        return ErrorKind::Auth;
    }
    if code == "BackupTimesExceeded"
        || code.starts_with("QuotaExceeded")
        || code.ends_with(".QuotaExceeded")
        || code == "QuotaNotEnough"
    {
        return ErrorKind::Quota;
    }
    if code.starts_with("OperationDenied")
        || code.starts_with("Incorrect")
        || code == "DBInstance.InOrder"
    {
        return ErrorKind::InvalidState;
    }
    if code.starts_with("InvalidParameter")
        || code.starts_with("Missing")
        || code.ends_with(".Malformed")
        || code.ends_with(".Format")
        || code.starts_with("Invalid")
    {
        return ErrorKind::InvalidInput;
    }
    match http_status {
        Some(500 | 502 | 503 | 504) => ErrorKind::ServerError,
        _ => ErrorKind::Other,
    }
}

/// An error from an API call: the service's `Code`, `Message`, `RequestId`, `HostId` and
/// `Recommend`, the HTTP status, and how the retry policy ended.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{action}: {code}: {message}")]
pub struct ApiError {
    pub kind: ErrorKind,
    pub action: String,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    pub host_id: Option<String>,
    pub recommend: Option<String>,
    pub http_status: Option<u16>,
    /// How many attempts were made (1 when not retried).
    pub attempts: u32,
    /// True when a retryable error was still failing when `max_retry_timeout` ran out.
    pub budget_exhausted: bool,
}

impl ApiError {
    /// True for kinds the retry policy may retry (`Ambiguous` only for idempotent calls).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Throttling | ErrorKind::ServerError | ErrorKind::Connect
        )
    }

    /// An error that did not come from the service (transport, parsing, credentials).
    pub fn local(kind: ErrorKind, action: &str, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            action: action.to_string(),
            code: code.to_string(),
            message: message.into(),
            request_id: None,
            host_id: None,
            recommend: None,
            http_status: None,
            attempts: 0,
            budget_exhausted: false,
        }
    }
}

/// The code given to responses that are not an API error body (HTML from a proxy, empty).
pub const UNEXPECTED_RESPONSE: &str = "UnexpectedResponse";

/// How many characters of an unparseable body an error keeps, enough to recognise a proxy page.
const SNIPPET_CHARS: usize = 200;

/// Parses an error response body (JSON or XML `<Error>`), keeping the HTTP status. Anything else
/// (HTML, empty, truncated) becomes [`UNEXPECTED_RESPONSE`] with the status and a snippet, and is
/// classified by status alone (so a 503 page from a load balancer is still retried).
pub fn parse_error_body(action: &str, http_status: u16, body: &str) -> ApiError {
    let fields = parse_json_fields(body).or_else(|| parse_xml_fields(body));
    match fields {
        Some(f) if !f.code.is_empty() => ApiError {
            kind: classify(&f.code, Some(http_status)),
            action: action.to_string(),
            code: f.code,
            message: f.message,
            request_id: f.request_id,
            host_id: f.host_id,
            recommend: f.recommend,
            http_status: Some(http_status),
            attempts: 0,
            budget_exhausted: false,
        },
        other => {
            let request_id = other.and_then(|f| f.request_id);
            let trimmed = body.trim();
            let snippet: String = trimmed.chars().take(SNIPPET_CHARS).collect();
            let message = if snippet.is_empty() {
                format!("HTTP {http_status} with an empty body")
            } else {
                format!("HTTP {http_status} with a body that is not an API error: {snippet}")
            };
            ApiError {
                kind: classify("", Some(http_status)),
                action: action.to_string(),
                code: UNEXPECTED_RESPONSE.to_string(),
                message,
                request_id,
                host_id: None,
                recommend: None,
                http_status: Some(http_status),
                attempts: 0,
                budget_exhausted: false,
            }
        }
    }
}

/// The fields Alibaba puts in an error body.
#[derive(Debug, Default)]
struct ErrorFields {
    code: String,
    message: String,
    request_id: Option<String>,
    host_id: Option<String>,
    recommend: Option<String>,
}

/// A JSON value as a string: strings as they are, numbers and booleans printed (some APIs send
/// `Code` as a number).
fn json_str(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parse_json_fields(body: &str) -> Option<ErrorFields> {
    let v: serde_json::Value = serde_json::from_str(body.trim()).ok()?;
    let obj = v.as_object()?;
    let get = |k: &str| obj.get(k).and_then(json_str).filter(|s| !s.is_empty());
    Some(ErrorFields {
        code: get("Code").unwrap_or_default(),
        message: get("Message").unwrap_or_default(),
        request_id: get("RequestId"),
        host_id: get("HostId"),
        recommend: get("Recommend"),
    })
}

fn parse_xml_fields(body: &str) -> Option<ErrorFields> {
    let body = body.trim();
    if !body.starts_with('<') || !body.contains("<Code>") {
        return None;
    }
    Some(ErrorFields {
        code: xml_tag(body, "Code").unwrap_or_default(),
        message: xml_tag(body, "Message").unwrap_or_default(),
        request_id: xml_tag(body, "RequestId"),
        host_id: xml_tag(body, "HostId"),
        recommend: xml_tag(body, "Recommend"),
    })
}

/// The text of the first `<tag>...</tag>`, with CDATA unwrapped and the five XML entities decoded.
fn xml_tag(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = body.find(&open)? + open.len();
    let len = body[start..].find(&close)?;
    let raw = body[start..start + len].trim();
    let text = match raw
        .strip_prefix("<![CDATA[")
        .and_then(|r| r.strip_suffix("]]>"))
    {
        Some(cdata) => cdata.to_string(),
        None => raw
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    };
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    use ErrorKind as K;

    /// Where a row comes from.
    const POLARDB: &str = "PolarDB 2017-08-01 error codes";
    const POLARDBX: &str = "PolarDB-X 2020-02-02 error codes";
    const COMMON: &str = "RPC gateway common errors";
    const OFFICIAL: &str = "official provider (alicloud/errors.go)";
    const OURS: &str = "status-only rule";

    /// The documented codes and their kinds: (code, HTTP status as documented, kind, source).
    #[rustfmt::skip]
    const CLASSIFICATION: &[(&str, Option<u16>, ErrorKind, &str)] = &[
        ("Throttling",                      Some(400), K::Throttling,   COMMON),
        ("Throttling.User",                 Some(400), K::Throttling,   COMMON),
        ("Throttling.Api",                  Some(403), K::Throttling,   POLARDBX),
        ("Rejected.Throttling",             Some(400), K::Throttling,   OFFICIAL),
        ("ServiceUnavailable",              Some(503), K::ServerError,  COMMON),
        ("InternalError",                   Some(500), K::ServerError,  COMMON),
        ("UnknownError",                    Some(400), K::ServerError,  COMMON),
        ("InvalidDBClusterId.NotFound",     Some(404), K::NotFound,     POLARDB),
        ("InvalidBackupSetID.NotFound",     Some(400), K::NotFound,     POLARDB),
        ("InvalidBackupId.NotFound",        Some(404), K::NotFound,     POLARDB),
        ("InvalidRegionId.NotFound",        Some(404), K::NotFound,     POLARDB),
        ("Forbidden.ClusterNotFound",       Some(404), K::NotFound,     COMMON),
        ("Forbidden.InstanceNotFound",      Some(404), K::NotFound,     COMMON),
        ("DBInstance.NotFound",             Some(404), K::NotFound,     POLARDBX),
        ("InvalidDBInstanceName.NotFound",  Some(404), K::NotFound,     POLARDBX),
        ("NotFound",                        Some(404), K::NotFound,     POLARDBX),
        ("InvalidAccessKeyId.NotFound",     Some(404), K::Auth,         COMMON),
        ("InvalidAccessKeyId.Inactive",     Some(403), K::Auth,         COMMON),
        ("SignatureDoesNotMatch",           Some(400), K::Auth,         COMMON),
        ("IncompleteSignature",             Some(400), K::Auth,         COMMON),
        ("SignatureNonceUsed",              Some(400), K::Auth,         COMMON),
        ("InvalidTimeStamp.Expired",        Some(400), K::Auth,         COMMON),
        ("InvalidSecurityToken.Expired",    Some(403), K::Auth,         COMMON),
        ("ActionUnauthorized",              Some(403), K::Auth,         COMMON),
        ("RegionUnauthorized",              Some(403), K::Auth,         POLARDB),
        ("Forbidden.RAM",                   Some(403), K::Auth,         POLARDB),
        ("Forbidden.SubUser",               Some(403), K::Auth,         POLARDB),
        ("Forbidden.NotSupportRAM",         Some(403), K::Auth,         POLARDB),
        ("Forbedden.NotSupportRAM",         Some(403), K::Auth,         COMMON),
        ("Forbbiden.SubUser",               Some(403), K::Auth,         COMMON),
        ("Forbidden.RiskControl",           Some(403), K::Auth,         POLARDB),
        ("BackupTimesExceeded",             Some(403), K::Quota,        POLARDB),
        ("QuotaExceeded.CreateDBCluster",   Some(403), K::Quota,        POLARDB),
        ("QuotaNotEnough",                  Some(400), K::Quota,        POLARDB),
        ("OperationDenied.DBClusterStatus", Some(403), K::InvalidState, POLARDB),
        ("OperationDenied.LockMode",        Some(403), K::InvalidState, POLARDB),
        ("IncorrectDBInstanceState",        Some(403), K::InvalidState, POLARDBX),
        ("IncorrectBackupStatus",           Some(400), K::InvalidState, POLARDB),
        ("InvalidParameter",                Some(400), K::InvalidInput, COMMON),
        ("MissingParameter",                Some(400), K::InvalidInput, COMMON),
        ("MissingDBClusterId",              Some(400), K::InvalidInput, POLARDB),
        ("IdempotentParameterMismatch",     Some(400), K::InvalidInput, COMMON),
        ("InvalidAction.NotFound",          Some(404), K::InvalidInput, COMMON),
        ("UnsupportedHTTPMethod",           Some(403), K::InvalidInput, COMMON),
        ("IllegalTimestamp",                Some(400), K::InvalidInput, COMMON),
        ("InvalidDBClusterId.Malformed",    Some(400), K::InvalidInput, POLARDB),
        ("InvalidPageSize.Malformed",       Some(400), K::InvalidInput, POLARDB),
        ("InvalidTimeStamp.Format",         Some(400), K::InvalidInput, COMMON),
        ("ProxyError",                      Some(400), K::Other,        POLARDBX),
        ("LockTimeout",                     Some(400), K::Other,        POLARDBX),
        ("SomethingNew",                    Some(502), K::ServerError,  OURS),
        ("SomethingNew",                    Some(400), K::Other,        OURS),
    ];

    /// Every documented code maps to the kind its row says (the table is the documentation).
    #[test]
    fn classifies_documented_codes() {
        for (code, status, kind, source) in CLASSIFICATION {
            assert_eq!(
                classify(code, *status),
                *kind,
                "{code} (HTTP {status:?}, from the {source})"
            );
        }
    }

    /// The emulator's named codes are all in the documented table, with the same status.
    #[test]
    fn named_codes_are_documented() {
        for code in [
            codes::THROTTLING,
            codes::THROTTLING_USER,
            codes::SERVICE_UNAVAILABLE,
            codes::INTERNAL_ERROR,
            codes::INVALID_DB_CLUSTER_ID_NOT_FOUND,
            codes::INVALID_BACKUP_SET_ID_NOT_FOUND,
            codes::DB_INSTANCE_NOT_FOUND,
            codes::FORBIDDEN_INSTANCE_NOT_FOUND,
            codes::INVALID_ACCESS_KEY_ID_NOT_FOUND,
            codes::SIGNATURE_DOES_NOT_MATCH,
            codes::FORBIDDEN_RAM,
            codes::BACKUP_TIMES_EXCEEDED,
            codes::OPERATION_DENIED_DB_CLUSTER_STATUS,
            codes::INCORRECT_DB_INSTANCE_STATE,
            codes::INCORRECT_BACKUP_STATUS,
        ] {
            assert!(
                CLASSIFICATION.iter().any(|(c, ..)| *c == code),
                "{code} has no row in CLASSIFICATION"
            );
        }
    }

    /// A JSON error body keeps every field and the status.
    #[test]
    fn parses_json_error() {
        let body = r#"{"RequestId":"R-1","HostId":"polardb.aliyuncs.com","Code":"InvalidDBClusterId.NotFound","Message":"The DBClusterId provided does not exist in our records.","Recommend":"https://api.aliyun.com/troubleshoot?q=x"}"#;
        let e = parse_error_body("CreateBackup", 404, body);
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(e.code, "InvalidDBClusterId.NotFound");
        assert_eq!(e.request_id.as_deref(), Some("R-1"));
        assert_eq!(e.host_id.as_deref(), Some("polardb.aliyuncs.com"));
        assert!(e.recommend.as_deref().unwrap_or("").starts_with("https://"));
        assert_eq!(e.http_status, Some(404));
        assert_eq!(
            e.to_string(),
            "CreateBackup: InvalidDBClusterId.NotFound: The DBClusterId provided does not exist in our records."
        );
    }

    /// An XML error body is parsed too, with CDATA and entities.
    #[test]
    fn parses_xml_error() {
        let body = "<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>R-2</RequestId><HostId>h</HostId><Code>Throttling.User</Code><Message>Request was denied &amp; throttled</Message><Recommend><![CDATA[https://x/?a=1&b=2]]></Recommend></Error>";
        let e = parse_error_body("DescribeBackups", 400, body);
        assert_eq!(e.kind, ErrorKind::Throttling);
        assert_eq!(e.message, "Request was denied & throttled");
        assert_eq!(e.recommend.as_deref(), Some("https://x/?a=1&b=2"));
        assert_eq!(e.request_id.as_deref(), Some("R-2"));
    }

    /// HTML and empty bodies become UnexpectedResponse, classified by status.
    #[test]
    fn html_and_empty_bodies() {
        let e = parse_error_body("CreateBackup", 502, "<html><body>Bad Gateway</body></html>");
        assert_eq!(e.code, UNEXPECTED_RESPONSE);
        assert_eq!(e.kind, ErrorKind::ServerError);
        assert!(e.message.contains("Bad Gateway"), "{}", e.message);
        let e = parse_error_body("CreateBackup", 403, "");
        assert_eq!(e.kind, ErrorKind::Other);
        assert!(e.message.contains("HTTP 403"), "{}", e.message);
        let long = "x".repeat(5000);
        let e = parse_error_body("CreateBackup", 400, &long);
        assert!(e.message.len() < 400, "snippet is bounded");
    }

    /// A numeric Code is read as its decimal text.
    #[test]
    fn numeric_code() {
        let e = parse_error_body("X", 500, r#"{"Code":500,"Message":"boom","RequestId":"R"}"#);
        assert_eq!(e.code, "500");
        assert_eq!(e.kind, ErrorKind::ServerError);
    }
}
