//! API errors and their one classification, used by retries and diagnostics alike.
//!
//! # Error codes and their kinds
//!
//! [`classify`] decides on the service's `Code` first and the HTTP status second. The codes below
//! come from Alibaba's API references for PolarDB 2017-08-01 and PolarDB-X 2020-02-02, the API
//! gateway's common error centre, and the codes the official alicloud Terraform provider checks.
//! The emulator emits the `pub const` codes of [`codes`], with the HTTP status given there.
//!
//! | Kind | Codes |
//! |---|---|
//! | [`ErrorKind::Throttling`] | any code containing `Throttling` (`Throttling`, `Throttling.User`, `Throttling.Api`, ...) |
//! | [`ErrorKind::ServerError`] | any code containing `ServiceUnavailable`, `InternalError` or `UnknownError`; any other code with HTTP 500, 502, 503 or 504 |
//! | [`ErrorKind::Auth`] | `InvalidAccessKeyId.NotFound`, `InvalidAccessKeyId.Inactive`, `SignatureDoesNotMatch`, `IncompleteSignature`, `SignatureNonceUsed`, `InvalidTimeStamp.Expired`, `InvalidSecurityToken.*`, `Forbidden*` (e.g. `Forbidden.RAM`), `NoPermission`, `RAM.Permission.Denied`, `InvalidAccessKeySecret` |
//! | [`ErrorKind::NotFound`] | `InvalidDBClusterId.NotFound` (PolarDB, 404), `InvalidBackupSetID.NotFound` (PolarDB DeleteBackup, 400), `InvalidBackupId.NotFound`, `DBInstance.NotFound` (PolarDB-X), `InvalidDBInstanceName.NotFound`, `InvalidDBCluster.NotFound`, `NotFound`, and any other code ending in `.NotFound` except those listed under Auth and Invalid input |
//! | [`ErrorKind::Quota`] | `BackupTimesExceeded` (PolarDB CreateBackup with three manual backups, 403, "Exceeding the daily backup times of this DB cluster"), codes starting with `QuotaExceeded` or ending in `.QuotaExceeded`, `QuotaNotEnough` |
//! | [`ErrorKind::InvalidState`] | codes starting with `OperationDenied` (e.g. `OperationDenied.DBClusterStatus`) or `Incorrect` (e.g. `IncorrectDBInstanceState`, `IncorrectBackupStatus`), `DBInstance.InOrder` |
//! | [`ErrorKind::InvalidInput`] | codes starting with `InvalidParameter`, `MissingParameter` or `Missing` (e.g. `MissingDBClusterId`), `IdempotentParameterMismatch`, `InvalidAction.NotFound`, `InvalidVersion`, `InvalidTimeStamp.Format`, `UnsupportedParameter`, codes ending in `.Malformed` or `.Format`, and other codes starting with `Invalid` |
//! | [`ErrorKind::Other`] | everything else, including bodies that are not an API error (HTML, empty) with a non-5xx status |
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
}

/// The one classification of an error code and HTTP status; see the module docs for the table.
pub fn classify(code: &str, http_status: Option<u16>) -> ErrorKind {
    const AUTH_EXACT: &[&str] = &[
        "InvalidAccessKeyId.NotFound",
        "InvalidAccessKeyId.Inactive",
        "InvalidAccessKeyId",
        "InvalidAccessKeySecret",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "SignatureNonceUsed",
        "InvalidTimeStamp.Expired",
        "NoPermission",
        "RAM.Permission.Denied",
        "InvalidSecurityToken",
    ];
    const INPUT_EXACT: &[&str] = &[
        "IdempotentParameterMismatch",
        "InvalidAction.NotFound",
        "InvalidAction",
        "InvalidVersion",
        "InvalidTimeStamp.Format",
        "UnsupportedParameter",
        "InvalidParameterCombination",
    ];
    if code.contains("Throttling") {
        return ErrorKind::Throttling;
    }
    if ["ServiceUnavailable", "InternalError", "UnknownError"]
        .iter()
        .any(|c| code.contains(c))
    {
        return ErrorKind::ServerError;
    }
    if AUTH_EXACT.contains(&code)
        || code.starts_with("InvalidSecurityToken.")
        || code.starts_with("InvalidAccessKeyId.")
        || code.starts_with("Forbidden")
    {
        return ErrorKind::Auth;
    }
    if INPUT_EXACT.contains(&code) {
        return ErrorKind::InvalidInput;
    }
    if code == "NotFound" || code.ends_with(".NotFound") {
        return ErrorKind::NotFound;
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

    /// Every documented code maps to the kind the module table promises.
    #[test]
    fn classifies_documented_codes() {
        let cases: &[(&str, Option<u16>, ErrorKind)] = &[
            ("Throttling", Some(400), ErrorKind::Throttling),
            ("Throttling.User", Some(400), ErrorKind::Throttling),
            ("Throttling.Api", Some(403), ErrorKind::Throttling),
            ("ServiceUnavailable", Some(503), ErrorKind::ServerError),
            ("InternalError", Some(500), ErrorKind::ServerError),
            ("UnknownError", Some(400), ErrorKind::ServerError),
            ("SomethingOdd", Some(502), ErrorKind::ServerError),
            ("SomethingOdd", Some(400), ErrorKind::Other),
            (
                "InvalidDBClusterId.NotFound",
                Some(404),
                ErrorKind::NotFound,
            ),
            (
                "InvalidBackupSetID.NotFound",
                Some(400),
                ErrorKind::NotFound,
            ),
            ("InvalidBackupId.NotFound", Some(404), ErrorKind::NotFound),
            ("DBInstance.NotFound", Some(404), ErrorKind::NotFound),
            (
                "InvalidDBInstanceName.NotFound",
                Some(404),
                ErrorKind::NotFound,
            ),
            ("InvalidAccessKeyId.NotFound", Some(404), ErrorKind::Auth),
            ("SignatureDoesNotMatch", Some(400), ErrorKind::Auth),
            ("IncompleteSignature", Some(400), ErrorKind::Auth),
            ("SignatureNonceUsed", Some(400), ErrorKind::Auth),
            ("InvalidTimeStamp.Expired", Some(400), ErrorKind::Auth),
            ("InvalidSecurityToken.Expired", Some(403), ErrorKind::Auth),
            ("Forbidden.RAM", Some(403), ErrorKind::Auth),
            ("BackupTimesExceeded", Some(403), ErrorKind::Quota),
            ("QuotaExceeded.Backup", Some(400), ErrorKind::Quota),
            (
                "OperationDenied.DBClusterStatus",
                Some(403),
                ErrorKind::InvalidState,
            ),
            (
                "IncorrectDBInstanceState",
                Some(403),
                ErrorKind::InvalidState,
            ),
            ("IncorrectBackupStatus", Some(400), ErrorKind::InvalidState),
            ("InvalidParameter", Some(400), ErrorKind::InvalidInput),
            ("MissingParameter", Some(400), ErrorKind::InvalidInput),
            ("MissingDBClusterId", Some(400), ErrorKind::InvalidInput),
            (
                "IdempotentParameterMismatch",
                Some(400),
                ErrorKind::InvalidInput,
            ),
            ("InvalidAction.NotFound", Some(404), ErrorKind::InvalidInput),
            (
                "InvalidBackupType.Malformed",
                Some(400),
                ErrorKind::InvalidInput,
            ),
            (
                "InvalidTimeStamp.Format",
                Some(400),
                ErrorKind::InvalidInput,
            ),
        ];
        for (code, status, kind) in cases {
            assert_eq!(
                classify(code, *status),
                *kind,
                "code {code} status {status:?}"
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
