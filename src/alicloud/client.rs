//! The RPC client: signs, sends (POST, form body), retries, and parses errors.
//!
//! Each attempt gets a fresh nonce and timestamp and is signed again, so a retry is never refused
//! as a replay. Parameters the caller passes (such as a PolarDB `ClientToken`) are the same on
//! every attempt, which is what makes a retried create safe.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use super::credentials::CredentialsProvider;
use super::error::{self, ApiError, ErrorKind};
use super::retry::{self, Backoff, Decision};
use super::sign;

/// The products this provider calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Product {
    Polardb,
    Polardbx,
}

impl Product {
    /// The API version the product's actions use.
    pub fn api_version(self) -> &'static str {
        match self {
            Product::Polardb => "2017-08-01",
            Product::Polardbx => "2020-02-02",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SignatureVersion {
    /// `HMAC-SHA1`, `SignatureVersion=1.0`: what the official Terraform provider signs with.
    #[default]
    V2,
    /// `ACS3-HMAC-SHA256`: Alibaba's current recommendation.
    V3,
}

#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub product: Product,
    pub region: String,
    /// Base URL, e.g. `https://polardb.aliyuncs.com` or `http://127.0.0.1:8080` (the emulator).
    pub endpoint: String,
    pub signature: SignatureVersion,
    pub credentials: Arc<dyn CredentialsProvider>,
    /// How long retryable failures are retried before giving up.
    pub max_retry_timeout: Duration,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Skip TLS certificate verification (test endpoints only; warned about).
    pub insecure_skip_verify: bool,
    pub user_agent: String,
}

/// Per-call options.
#[derive(Clone, Copy, Debug)]
pub struct CallOptions {
    /// Whether repeating the call is harmless. Non-idempotent calls are not retried after an
    /// [`ErrorKind::Ambiguous`] failure: the caller decides (e.g. adopts what was created).
    pub idempotent: bool,
}

/// A client for one product. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    config: Arc<ClientConfig>,
    /// Built on the first request, not in `new`: building a reqwest client loads the system's
    /// root certificates (about 2 ms), and most provider processes Terraform starts (schema,
    /// validate, plan of new resources) configure the provider but never call the API.
    /// Clones, and clients made with [`Client::sharing_http_with`], share one.
    http: Arc<OnceLock<reqwest::Client>>,
    /// The URL every request goes to (endpoint with path `/`).
    url: url::Url,
    /// `host[:port]` as the `Host` header carries it, for V3 signing.
    host: String,
    backoff_base: Duration,
    backoff_cap: Duration,
}

/// Prints where the client talks to and how, never a credential: the credentials provider's own
/// `Debug` redacts its secrets.
impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("product", &self.config.product)
            .field("region", &self.config.region)
            .field("endpoint", &self.config.endpoint)
            .field("signature", &self.config.signature)
            .field("credentials", &self.config.credentials)
            .finish_non_exhaustive()
    }
}

/// The HTTP status of a response and the headers the client reads.
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    body: String,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        let url = endpoint_url(&config.endpoint)?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => {
                return Err(ApiError::local(
                    ErrorKind::InvalidInput,
                    "",
                    "InvalidEndpoint",
                    format!("endpoint {:?} has no host", config.endpoint),
                ))
            }
        };
        if config.insecure_skip_verify {
            tracing::warn!(
                endpoint = config.endpoint.as_str(),
                "TLS certificate verification is disabled for this endpoint"
            );
        }
        Ok(Client {
            config: Arc::new(config),
            http: Arc::new(OnceLock::new()),
            url,
            host,
            backoff_base: retry::BASE_DELAY,
            backoff_cap: retry::MAX_DELAY,
        })
    }

    /// Uses `other`'s HTTP client (and its connection pool) when both would build the same one,
    /// so a process builds one however many products and regions it calls.
    pub fn sharing_http_with(mut self, other: &Client) -> Client {
        let (a, b) = (&self.config, &other.config);
        let same = a.connect_timeout == b.connect_timeout
            && a.read_timeout == b.read_timeout
            && a.user_agent == b.user_agent
            && a.insecure_skip_verify == b.insecure_skip_verify;
        if same {
            self.http = other.http.clone();
        }
        self
    }

    /// The HTTP client, built on first use.
    fn http(&self) -> Result<&reqwest::Client, ApiError> {
        if let Some(http) = self.http.get() {
            return Ok(http);
        }
        let config = &self.config;
        // reqwest reads HTTP(S)_PROXY / NO_PROXY from the environment by default.
        let built = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .user_agent(config.user_agent.clone())
            .tls_danger_accept_invalid_certs(config.insecure_skip_verify)
            .build()
            .map_err(|e| {
                ApiError::local(
                    ErrorKind::Other,
                    "",
                    "HttpClient",
                    format!("cannot build the HTTP client: {e}"),
                )
            })?;
        // Another task may have won the race; either client is as good.
        Ok(self.http.get_or_init(|| built))
    }

    /// Changes the backoff's base and cap (tests use short ones to stay fast).
    pub fn with_backoff(mut self, base: Duration, cap: Duration) -> Client {
        self.backoff_base = base;
        self.backoff_cap = cap;
        self
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Calls `action` with `params` (besides the common ones), retrying per the policy, and
    /// returns the parsed JSON body of the successful response.
    pub async fn call(
        &self,
        action: &str,
        params: &[(&str, String)],
        opts: CallOptions,
    ) -> Result<serde_json::Value, ApiError> {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let started = Instant::now();
        let mut backoff = Backoff::new(self.backoff_base, self.backoff_cap, retry::os_random());
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let (result, status, retry_after) = self.attempt(action, &params).await;
            let mut err = match result {
                Ok(v) => {
                    tracing::debug!(
                        action,
                        attempt,
                        status,
                        request_id = v.get("RequestId").and_then(|r| r.as_str()).unwrap_or(""),
                        "alicloud API attempt succeeded"
                    );
                    return Ok(v);
                }
                Err(e) => e,
            };
            err.attempts = attempt;
            // Never the parameters: they may carry a SecurityToken or Signature.
            tracing::debug!(
                action,
                attempt,
                status = err.http_status,
                request_id = err.request_id.as_deref().unwrap_or(""),
                code = err.code.as_str(),
                kind = ?err.kind,
                "alicloud API attempt failed"
            );
            match retry::decide(
                &err,
                opts.idempotent,
                started.elapsed(),
                self.config.max_retry_timeout,
                &mut backoff,
                retry_after,
            ) {
                Decision::RetryAfter(delay) => tokio::time::sleep(delay).await,
                Decision::Stop => return Err(err),
                Decision::BudgetExhausted => {
                    err.budget_exhausted = true;
                    return Err(err);
                }
            }
        }
    }

    /// One signed attempt; also returns the HTTP status and the service's `x-acs-retry-after`.
    async fn attempt(
        &self,
        action: &str,
        params: &[(String, String)],
    ) -> (
        Result<serde_json::Value, ApiError>,
        Option<u16>,
        Option<Duration>,
    ) {
        let creds = match self.config.credentials.credentials().await {
            Ok(c) => c,
            Err(mut e) => {
                if e.action.is_empty() {
                    e.action = action.to_string();
                }
                return (Err(e), None, None);
            }
        };
        let nonce = match new_nonce() {
            Ok(n) => n,
            Err(e) => return (Err(e.with_action(action)), None, None),
        };
        let http = match self.http() {
            Ok(h) => h,
            Err(e) => return (Err(e.with_action(action)), None, None),
        };
        let now = SystemTime::now();
        let version = self.config.product.api_version();
        let request = match self.config.signature {
            SignatureVersion::V2 => {
                let signed = sign::sign_v2("POST", action, version, params, &creds, now, &nonce);
                http.post(self.url.clone())
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("accept", "application/json")
                    .body(form_encode(&signed))
            }
            SignatureVersion::V3 => {
                let req = sign::RequestV3 {
                    method: "POST",
                    host: &self.host,
                    action,
                    version,
                    query: params,
                    body: b"",
                    content_type: None,
                };
                let headers = sign::sign_v3(&req, &creds, now, &nonce);
                let mut url = self.url.clone();
                let query = sign::canonical_query(params);
                url.set_query((!query.is_empty()).then_some(query.as_str()));
                let mut rb = http.post(url).header("accept", "application/json");
                for (k, v) in headers {
                    rb = rb.header(k, v);
                }
                rb
            }
        };
        let answer = match self.send(request).await {
            Ok(a) => a,
            Err(e) => return (Err(e.with_action(action)), None, None),
        };
        let result = interpret(action, &answer);
        (result, Some(answer.status), answer.retry_after)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, ApiError> {
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("x-acs-retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(retry::parse_retry_after);
        let body = response.text().await.map_err(transport_error)?;
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }
}

impl ApiError {
    fn with_action(mut self, action: &str) -> ApiError {
        self.action = action.to_string();
        self
    }
}

/// What the client makes of one HTTP answer (`status`, `body`): the parsed JSON body of a
/// success, or the typed error it reports. The same code path as a real call, without the
/// network, so property tests and the `api_response` fuzz target can feed it arbitrary answers.
pub fn parse_response(
    action: &str,
    status: u16,
    body: &str,
) -> Result<serde_json::Value, ApiError> {
    interpret(
        action,
        &Answer {
            status,
            retry_after: None,
            body: body.to_string(),
        },
    )
}

/// Turns an answer into the JSON body or an error. A 2xx body that says `"Success": false` with
/// a `Code` is an error too (PolarDB-X has answered that way).
fn interpret(action: &str, answer: &Answer) -> Result<serde_json::Value, ApiError> {
    if !(200..300).contains(&answer.status) {
        return Err(error::parse_error_body(action, answer.status, &answer.body));
    }
    let value: serde_json::Value = match serde_json::from_str(&answer.body) {
        Ok(v) => v,
        Err(_) => {
            let mut e = error::parse_error_body(action, answer.status, &answer.body);
            e.kind = ErrorKind::Other;
            return Err(e);
        }
    };
    let failed = value.get("Success").and_then(|s| s.as_bool()) == Some(false)
        && value.get("Code").is_some();
    if failed {
        return Err(error::parse_error_body(action, answer.status, &answer.body));
    }
    Ok(value)
}

/// Classifies a transport failure: nothing sent (connect, DNS, TLS) is `Connect`; a failure after
/// the request went out (read timeout, connection closed before the answer) is `Ambiguous`.
fn transport_error(e: reqwest::Error) -> ApiError {
    let kind = if e.is_connect() {
        ErrorKind::Connect
    } else if e.is_builder() {
        ErrorKind::Other
    } else {
        ErrorKind::Ambiguous
    };
    let code = match kind {
        ErrorKind::Connect => "ConnectFailed",
        ErrorKind::Ambiguous if e.is_timeout() => "ReadTimeout",
        ErrorKind::Ambiguous => "NoResponse",
        _ => "RequestFailed",
    };
    // The error's Display names the URL (no secrets: V2 parameters travel in the body).
    ApiError::local(kind, "", code, error_chain(&e))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// The request URL: the endpoint with path `/`. An endpoint without a scheme gets `https://`.
fn endpoint_url(endpoint: &str) -> Result<url::Url, ApiError> {
    let with_scheme = if endpoint.contains("://") {
        endpoint.to_string()
    } else {
        format!("https://{endpoint}")
    };
    let mut url = url::Url::parse(&with_scheme).map_err(|e| {
        ApiError::local(
            ErrorKind::InvalidInput,
            "",
            "InvalidEndpoint",
            format!("endpoint {endpoint:?} is not a URL: {e}"),
        )
    })?;
    url.set_path("/");
    url.set_query(None);
    Ok(url)
}

/// `application/x-www-form-urlencoded` body with Alibaba's percent-encoding.
pub fn form_encode(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", sign::percent_encode(k), sign::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A fresh signature nonce: 128 random bits as 32 hex digits.
pub fn new_nonce() -> Result<String, ApiError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| {
        ApiError::local(
            ErrorKind::Other,
            "",
            "NoRandomness",
            format!("cannot draw a signature nonce: {e}"),
        )
    })?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

#[cfg(test)]
mod tests;
