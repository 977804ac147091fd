//! API errors and their one classification, used by retries and diagnostics alike.

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
}
