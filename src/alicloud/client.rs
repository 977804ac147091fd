//! The RPC client: signs, sends, paces, retries, and parses errors.
//!
//! Requests are shaped as the official SDK shapes them: each action goes with its own method
//! ([`actions`]), and every parameter, common or the action's, travels in the query string with
//! an empty body (V2 and V3 alike; `docs/api-notes.md`, sections 3 and 8).
//!
//! Each attempt gets a fresh nonce and timestamp and is signed again, so a retry is never refused
//! as a replay. Parameters the caller passes (such as a PolarDB `ClientToken`) are the same on
//! every attempt, which is what makes a retried create safe.
//!
//! Where requests may go and how long they may take: plain `http://` only to loopback hosts or
//! with `insecure` ([`endpoints::check_scheme`]); no redirects are followed (they would resend
//! the signed request elsewhere); answers are read up to [`BODY_LIMIT`]; each attempt has one
//! deadline for connecting, sending and reading the whole answer.
//!
//! Wrong endpoints fail fast: until an endpoint has answered like the API once in this process,
//! failures that say nothing about the API (connection refused, DNS, TLS, no answer, an answer
//! that is not the API's) are retried for at most [`retry::ENDPOINT_BUDGET`], each attempt
//! bounded by [`retry::UNVERIFIED_ATTEMPT_DEADLINE`], and reported as a problem with the
//! endpoint, naming it, the region and the setting to check. Throttling and the API's own
//! errors keep the whole `max_retry_timeout`.
//!
//! The stop signal ([`Client::with_stop`]) ends backoff sleeps, pacing waits and attempts in
//! flight at once with an [`ErrorKind::Stopped`] error.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use super::credentials::CredentialsProvider;
use super::endpoints;
use super::error::{self, codes, ApiError, ErrorKind};
use super::pacing;
use super::retry::{self, Backoff, Decision};
use super::sign;
use crate::redact::debug_fields;
use crate::resource::StopSignal;

pub mod actions;

use actions::Method;

/// The most of an answer the client reads: far above any real answer (a DescribeBackups page of
/// 100 is about 100 KiB), far below what could exhaust memory.
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

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

    /// The product's name in messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Product::Polardb => "PolarDB",
            Product::Polardbx => "PolarDB-X",
        }
    }

    /// The provider block's `endpoints` argument for this product.
    pub fn endpoint_setting(self) -> &'static str {
        match self {
            Product::Polardb => "endpoints.polardb",
            Product::Polardbx => "endpoints.polardbx",
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
    /// The most one attempt may take once connected: sending and reading the whole answer.
    pub read_timeout: Duration,
    /// The provider's `insecure`: skip TLS certificate verification, and allow plain `http://`
    /// to hosts that are not loopback (test endpoints only; warned about).
    pub insecure_skip_verify: bool,
    pub user_agent: String,
}

/// Per-call options.
#[derive(Clone, Copy, Debug, Default)]
pub struct CallOptions {
    /// Whether repeating the call is harmless. For a call that is not, an answer whose outcome
    /// is unknown (no answer after sending, or a gateway 5xx without an API error body) returns
    /// [`ErrorKind::Ambiguous`] at once: the caller decides (e.g. adopts what was created).
    pub idempotent: bool,
    /// Once the request is sent, wait for its answer (within the attempt's deadline) even if the
    /// stop signal fires: the answer of a create carries the ID that must reach the state.
    /// Sleeps before a send still end at once.
    pub finish_in_flight: bool,
}

impl CallOptions {
    /// A read: repeating it is harmless, and a stop ends it at once.
    pub const READ: CallOptions = CallOptions {
        idempotent: true,
        finish_in_flight: false,
    };
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
    /// `host[:port]` as the `Host` header carries it, for V3 signing and pacing keys.
    host: String,
    backoff_base: Duration,
    backoff_cap: Duration,
    /// The operation's stop signal; `None` means the call is never interrupted.
    stop: Option<StopSignal>,
    shared: Arc<Shared>,
}

// Prints where the client talks to and how, never a credential: the credentials provider's own
// `Debug` redacts its secrets.
debug_fields!(Client {
    product: config.product,
    region: config.region,
    endpoint: config.endpoint,
    signature: config.signature,
    credentials: config.credentials
});

/// The HTTP status of a response and the headers the client reads.
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    body: String,
}

/// How one attempt failed, which decides how it is retried and reported.
enum Failure {
    /// Before anything was sent, for a reason that has nothing to do with the endpoint
    /// (credentials, randomness, building the HTTP client). Its kind decides alone.
    Local(ApiError),
    /// The endpoint could not be reached or did not answer.
    Transport(ApiError),
    /// An answer came. `api` says whether it was the API's (a JSON or XML error body with a
    /// code, or a JSON success body): answers that are not say nothing good about the endpoint.
    Answer {
        error: ApiError,
        api: bool,
        retry_after: Option<Duration>,
    },
    /// The stop signal fired.
    Stopped(ApiError),
}

/// What every client derived from one configuration shares (clones, and clients made with
/// [`Client::sharing_http_with`], e.g. for another region): in a provider process, every call.
#[derive(Debug)]
struct Shared {
    /// Endpoints (full base URL) that have answered like the API. Failures that say nothing
    /// about the API are then transient there and get the patient budget.
    verified: Mutex<HashSet<String>>,
    /// Per host and action pacing.
    pacers: pacing::Pacers,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        let url = endpoint_url(&config.endpoint)?;
        endpoints::check_scheme(url.as_str(), config.insecure_skip_verify).map_err(|m| {
            ApiError::local(
                ErrorKind::InvalidInput,
                "",
                "InvalidEndpoint",
                format!(
                    "{} endpoint refused: {m} (set by `{}` or {})",
                    config.product.display_name(),
                    config.product.endpoint_setting(),
                    endpoints::env_var(config.product)
                ),
            )
        })?;
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
            stop: None,
            shared: Arc::new(Shared {
                verified: Mutex::default(),
                pacers: pacing::Pacers::from_env(),
            }),
        })
    }

    /// This client with `stop` as its stop signal: backoff sleeps, pacing waits and attempts in
    /// flight end as soon as it fires, with an [`ErrorKind::Stopped`] error. Cheap (a clone);
    /// use the operation's signal, e.g. `provider.polardb.with_stop(&ctx.stop)`.
    pub fn with_stop(&self, stop: &StopSignal) -> Client {
        let mut c = self.clone();
        c.stop = Some(stop.clone());
        c
    }

    /// Uses `other`'s HTTP client (and its connection pool) when both would build the same one,
    /// so a process builds one however many products and regions it calls. The stop signal
    /// (unless this client has its own), the pacing and the endpoints known to answer are
    /// `other`'s too, so a client derived for another region stops and paces with the rest.
    pub fn sharing_http_with(mut self, other: &Client) -> Client {
        self.shared = other.shared.clone();
        let (a, b) = (&self.config, &other.config);
        let same = a.connect_timeout == b.connect_timeout
            && a.read_timeout == b.read_timeout
            && a.user_agent == b.user_agent
            && a.insecure_skip_verify == b.insecure_skip_verify;
        if same {
            self.http = other.http.clone();
        }
        if self.stop.is_none() {
            self.stop = other.stop.clone();
        }
        self
    }

    /// The HTTP client, built on first use.
    fn http(&self) -> Result<&reqwest::Client, ApiError> {
        if let Some(http) = self.http.get() {
            return Ok(http);
        }
        let config = &self.config;
        // reqwest reads HTTP(S)_PROXY / NO_PROXY from the environment by default. Redirects are
        // never followed: one would resend the signed request (and an STS token) to another host.
        let built = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(config.user_agent.clone())
            .tls_danger_accept_invalid_certs(config.insecure_skip_verify)
            .build()
            .map_err(|e| {
                ApiError::local(
                    ErrorKind::Other,
                    "",
                    "HttpClient",
                    format!(
                        "cannot build the HTTP client: {}",
                        error_chain(&e.without_url())
                    ),
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

    fn is_verified(&self) -> bool {
        match self.shared.verified.lock() {
            Ok(set) => set.contains(self.url.as_str()),
            Err(poisoned) => poisoned.into_inner().contains(self.url.as_str()),
        }
    }

    fn mark_verified(&self) {
        let mut set = match self.shared.verified.lock() {
            Ok(set) => set,
            Err(poisoned) => poisoned.into_inner(),
        };
        if !set.contains(self.url.as_str()) {
            set.insert(self.url.to_string());
        }
    }

    /// Awaits `work` (e.g. a turn at a lock, or a pause between looks) unless the stop signal
    /// fires first, which ends it with the stop error for `action`: a wait outside the client's
    /// own calls ends on Ctrl-C as promptly as its sleeps do.
    pub async fn until_stopped<T>(
        &self,
        action: &str,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T, ApiError> {
        match &self.stop {
            None => Ok(work.await),
            Some(stop) => tokio::select! {
                out = work => Ok(out),
                _ = stop.stopped() => Err(stopped(action, false)),
            },
        }
    }

    /// Sleeps `delay`, or returns early with the stop error when the stop signal fires.
    async fn pause(&self, action: &str, delay: Duration) -> Result<(), ApiError> {
        if delay.is_zero() {
            return Ok(());
        }
        match &self.stop {
            None => {
                tokio::time::sleep(delay).await;
                Ok(())
            }
            Some(stop) => tokio::select! {
                _ = tokio::time::sleep(delay) => Ok(()),
                _ = stop.stopped() => Err(stopped(action, false)),
            },
        }
    }

    /// [`Client::call`], then `parse` of the answer: an answer it finds nothing in is an error
    /// saying the response has no `field` (with the answer's RequestId).
    pub async fn call_for<T>(
        &self,
        action: &str,
        params: &[(&str, String)],
        opts: CallOptions,
        field: &str,
        parse: fn(&serde_json::Value) -> Option<T>,
    ) -> Result<T, ApiError> {
        let body = self.call(action, params, opts).await?;
        parse(&body).ok_or_else(|| super::lenient::missing(action, &body, field))
    }

    /// Calls `action` with `params` (besides the common ones), pacing and retrying per the
    /// policy, and returns the parsed JSON body of the successful response.
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
        let method = actions::method_of(self.config.product, action);
        let pace_key = format!("{}/{action}", self.host);
        let pacers = &self.shared.pacers;
        let mut random = retry::os_random();
        let started = Instant::now();
        let mut backoff = Backoff::new(self.backoff_base, self.backoff_cap, retry::os_random());
        let mut attempt: u32 = 0;
        // Time spent waiting for a pacing slot: the process slowing itself down, not the call
        // failing, so it does not count against `max_retry_timeout`. Otherwise a call queued
        // behind many others (a burst of creates, throttled) ran out of budget after one or two
        // attempts without the failure ever lasting that long.
        let mut paced = Duration::ZERO;
        loop {
            attempt += 1;
            if self.stop.as_ref().is_some_and(StopSignal::is_stopped) {
                return Err(stopped(action, false));
            }
            // Wait until the pacer has a free slot; it books none ahead, so a call queued while
            // the rate was low goes as soon as the rate grows.
            loop {
                let jitter = (random() >> 11) as f64 / (1u64 << 53) as f64;
                let wait = pacers.reserve(&pace_key, Instant::now(), jitter);
                if wait.is_zero() {
                    break;
                }
                tracing::debug!(action, wait_ms = wait.as_millis() as u64, "pacing");
                self.pause(action, wait).await?;
                paced += wait;
            }
            let verified = self.is_verified();
            let deadline = if verified {
                self.config.connect_timeout + self.config.read_timeout
            } else {
                (self.config.connect_timeout + self.config.read_timeout)
                    .min(retry::UNVERIFIED_ATTEMPT_DEADLINE)
            };
            let failure = match self.attempt(action, method, &params, deadline, opts).await {
                Ok(v) => {
                    self.mark_verified();
                    pacers.on_success(&pace_key, Instant::now());
                    tracing::debug!(
                        action,
                        attempt,
                        request_id = v.get("RequestId").and_then(|r| r.as_str()).unwrap_or(""),
                        "alicloud API attempt succeeded"
                    );
                    return Ok(v);
                }
                Err(f) => f,
            };
            // An answer that is not about rate still frees its place in the pacer's window.
            if !matches!(&failure, Failure::Answer { error, .. } if error.kind == ErrorKind::Throttling)
            {
                pacers.on_other_outcome(&pace_key);
            }
            let (mut err, endpoint_class, retry_after) = match failure {
                Failure::Stopped(e) => return Err(e),
                Failure::Local(e) => (e, false, None),
                Failure::Transport(e) => (e, true, None),
                Failure::Answer {
                    error,
                    api,
                    retry_after,
                } => {
                    if api {
                        self.mark_verified();
                    }
                    if error.kind == ErrorKind::Throttling {
                        pacers.on_throttled(&pace_key, Instant::now(), retry_after);
                    }
                    (error, !api, retry_after)
                }
            };
            err.attempts = attempt;
            // A gateway 5xx without the API's error body may follow a call that was carried out.
            if !opts.idempotent
                && endpoint_class
                && err.http_status.is_some_and(|s| (500..600).contains(&s))
            {
                err.kind = ErrorKind::Ambiguous;
                err.message = format!(
                    "{}; the outcome is unknown (the answer came from a gateway, not the API)",
                    err.message
                );
            }
            // Never the parameters: they carry the Signature and maybe a SecurityToken.
            tracing::debug!(
                action,
                attempt,
                status = err.http_status,
                request_id = err.request_id.as_deref().unwrap_or(""),
                code = err.code.as_str(),
                kind = ?err.kind,
                "alicloud API attempt failed"
            );
            let fast = endpoint_class && !self.is_verified();
            let budget = if fast {
                self.config.max_retry_timeout.min(retry::ENDPOINT_BUDGET)
            } else {
                self.config.max_retry_timeout
            };
            let decision = retry::decide(
                &err,
                opts.idempotent,
                started.elapsed().saturating_sub(paced),
                budget,
                &mut backoff,
                retry_after,
            );
            match decision {
                Decision::RetryAfter(delay) => self.pause(action, delay).await?,
                Decision::Stop | Decision::BudgetExhausted => {
                    // The unknown outcome of a call that must not be repeated stays what it is:
                    // the caller adopts, and its next call names the endpoint if that is at fault.
                    if fast && (opts.idempotent || err.kind != ErrorKind::Ambiguous) {
                        err = self.endpoint_problem(err, started.elapsed());
                    } else if decision == Decision::BudgetExhausted {
                        err.budget_exhausted = true;
                    }
                    // For a call that may be repeated, an unknown outcome is only "no answer":
                    // the caller can simply call again, so it is reported as unreachable.
                    if opts.idempotent && err.kind == ErrorKind::Ambiguous {
                        err.kind = ErrorKind::Connect;
                    }
                    return Err(err);
                }
            }
        }
    }

    /// Rewrites the last failure against an endpoint that never answered like the API into the
    /// configuration problem it most likely is: naming the endpoint, the region and the setting.
    fn endpoint_problem(&self, mut err: ApiError, spent: Duration) -> ApiError {
        let c = &self.config;
        let product = c.product.display_name();
        let advice = if endpoints::is_override(c.product, &c.region, &c.endpoint) {
            format!(
                "Check `{}` in the provider block (or {}): its scheme, host and port must be \
                 those of the {product} API, or of the emulator",
                c.product.endpoint_setting(),
                endpoints::env_var(c.product)
            )
        } else {
            "Check the region (`region` in the provider block, or the `region_id` argument), \
             and this machine's network and proxy settings (HTTPS_PROXY, NO_PROXY)"
                .to_string()
        };
        let tls_hint = if err.code == "TlsFailed" && self.url.scheme() == "https" {
            " If this endpoint serves plain HTTP, write it with http:// (allowed for loopback \
             hosts, or with `insecure = true`)."
        } else {
            ""
        };
        err.message = format!(
            "the {product} endpoint {} (region {}) did not answer like the {product} API after \
             {} attempts in {:.1} s: {}. {advice}.{tls_hint}",
            c.endpoint,
            c.region,
            err.attempts,
            spent.as_secs_f64(),
            err.message,
        );
        err.kind = ErrorKind::Connect;
        err.budget_exhausted = false;
        err
    }

    /// One signed attempt, bounded by `deadline` from connecting to the last byte of the answer.
    async fn attempt(
        &self,
        action: &str,
        method: Method,
        params: &[(String, String)],
        deadline: Duration,
        opts: CallOptions,
    ) -> Result<serde_json::Value, Failure> {
        let request = {
            let prepare = self.prepare(action, method, params);
            match &self.stop {
                None => prepare.await,
                Some(stop) => tokio::select! {
                    r = prepare => r,
                    _ = stop.stopped() => return Err(Failure::Stopped(stopped(action, false))),
                },
            }
        }
        .map_err(|e| Failure::Local(e.with_action(action)))?;
        let exchange = async {
            match tokio::time::timeout(deadline, self.send(request)).await {
                Ok(r) => r,
                Err(_) => Err(ApiError::local(
                    ErrorKind::Ambiguous,
                    "",
                    "NoAnswer",
                    format!(
                        "no complete answer within {:.1} s (the request may have been received)",
                        deadline.as_secs_f64()
                    ),
                )),
            }
        };
        let sent = match &self.stop {
            Some(_) if opts.finish_in_flight => exchange.await,
            None => exchange.await,
            Some(stop) => tokio::select! {
                r = exchange => r,
                _ = stop.stopped() => return Err(Failure::Stopped(stopped(action, true))),
            },
        };
        let answer = match sent {
            Ok(a) => a,
            Err(e) if e.code == codes::RESPONSE_TOO_LARGE => {
                return Err(Failure::Answer {
                    error: e.with_action(action),
                    api: false,
                    retry_after: None,
                })
            }
            Err(e) => return Err(Failure::Transport(e.with_action(action))),
        };
        interpret(action, &answer).map_err(|error| Failure::Answer {
            api: error.code != error::UNEXPECTED_RESPONSE,
            error,
            retry_after: answer.retry_after,
        })
    }

    /// Gets credentials and builds the signed request.
    async fn prepare(
        &self,
        action: &str,
        method: Method,
        params: &[(String, String)],
    ) -> Result<reqwest::RequestBuilder, ApiError> {
        let creds = self.config.credentials.credentials().await?;
        let nonce = new_nonce()?;
        let http = self.http()?;
        let now = SystemTime::now();
        let version = self.config.product.api_version();
        let http_method = match method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut url = self.url.clone();
        let request = match self.config.signature {
            SignatureVersion::V2 => {
                // As the official SDK's RPC requests: every parameter, the signature included,
                // in the query string; no body.
                let signed = sign::sign_v2(
                    method.as_str(),
                    action,
                    version,
                    params,
                    &creds,
                    now,
                    &nonce,
                );
                url.set_query(Some(&form_encode(&signed)));
                http.request(http_method, url)
                    .header("accept", "application/json")
            }
            SignatureVersion::V3 => {
                let req = sign::RequestV3 {
                    method: method.as_str(),
                    host: &self.host,
                    action,
                    version,
                    query: params,
                    body: b"",
                    content_type: None,
                };
                let headers = sign::sign_v3(&req, &creds, now, &nonce);
                let query = sign::canonical_query(params);
                url.set_query((!query.is_empty()).then_some(query.as_str()));
                let mut rb = http
                    .request(http_method, url)
                    .header("accept", "application/json");
                for (k, v) in headers {
                    rb = rb.header(k, v);
                }
                rb
            }
        };
        Ok(request)
    }

    /// Sends `request` and reads its answer, at most [`BODY_LIMIT`] bytes of it.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, ApiError> {
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("x-acs-retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(retry::parse_retry_after);
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| url::Url::parse(l).ok())
            .and_then(|u| u.host_str().map(str::to_string));
        let mut bytes: Vec<u8> = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if bytes.len() + chunk.len() > BODY_LIMIT {
                return Err(ApiError {
                    http_status: Some(status),
                    ..ApiError::local(
                        ErrorKind::Other,
                        "",
                        codes::RESPONSE_TOO_LARGE,
                        format!(
                            "the answer (HTTP {status}) is larger than {} MiB, more than any API \
                             answer; the endpoint is probably not the API's",
                            BODY_LIMIT / (1024 * 1024)
                        ),
                    )
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        let mut body = String::from_utf8_lossy(&bytes).into_owned();
        if (300..400).contains(&status) {
            // Not followed; say where it pointed (the host only: a URL could echo the query).
            body = format!(
                "a redirect to {}, which the provider does not follow (it would resend the \
                 signed request); set the endpoint to the API's own address",
                location.as_deref().unwrap_or("an unnamed location")
            );
        }
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }
}

/// The error of a call the stop signal ended; `maybe_sent` when a request was in flight.
fn stopped(action: &str, maybe_sent: bool) -> ApiError {
    let (code, message) = if maybe_sent {
        (
            codes::STOPPED,
            "stopped while the request was in flight: it may have reached the service",
        )
    } else {
        (
            codes::STOPPED_BEFORE_SEND,
            "stopped before the request was sent",
        )
    };
    ApiError::local(ErrorKind::Stopped, action, code, message)
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

/// Turns an answer into the JSON body or an error. A 2xx body that says `"Success": false` is an
/// error too: with its `Code` when it has one, else [`codes::UNSUCCESSFUL`] with its `Message`
/// (PolarDB-X has answered both ways). A 2xx body that is not JSON is not the API's.
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
    let failed = match value.get("Success") {
        Some(serde_json::Value::Bool(b)) => !b,
        Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("false"),
        _ => false,
    };
    if !failed {
        return Ok(value);
    }
    let mut e = error::parse_error_body(action, answer.status, &answer.body);
    if e.code == error::UNEXPECTED_RESPONSE {
        let text = |k: &str| {
            value
                .get(k)
                .map(super::lenient::string)
                .filter(|s| !s.is_empty())
        };
        e.code = codes::UNSUCCESSFUL.to_string();
        e.message = text("Message").unwrap_or_else(|| {
            "the service answered \"Success\": false without a message".to_string()
        });
        e.kind = unsuccessful_kind(&e.message);
        e.request_id = text("RequestId");
    }
    Err(e)
}

/// The kind of a `"Success": false` answer without a code, from its message: with no code to
/// go by, "does not exist" / "not found" is the one reading a caller must act on (a refresh
/// drops what is gone instead of failing).
fn unsuccessful_kind(message: &str) -> ErrorKind {
    let lower = message.to_ascii_lowercase();
    if ["not exist", "not found", "notfound"]
        .iter()
        .any(|w| lower.contains(w))
    {
        ErrorKind::NotFound
    } else {
        ErrorKind::Other
    }
}

/// Classifies a transport failure: nothing sent (DNS, refused, TLS) is `Connect`; a failure after
/// the request went out (no answer, connection closed before the answer) is `Ambiguous`. The
/// message never carries the URL: V2 requests have their signature in the query string.
fn transport_error(e: reqwest::Error) -> ApiError {
    let e = e.without_url();
    let lower = error_chain(&e).to_ascii_lowercase();
    let tls = [
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "invalidcontenttype",
    ]
    .iter()
    .any(|w| lower.contains(w));
    let (kind, code, what) = if e.is_connect() {
        let what = if lower.contains("dns") || lower.contains("lookup") || lower.contains("resolve")
        {
            "the host name does not resolve"
        } else if lower.contains("refused") {
            "the connection was refused"
        } else if tls {
            "the TLS handshake failed"
        } else if e.is_timeout() {
            "connecting timed out"
        } else {
            "the connection failed"
        };
        let code = if tls { "TlsFailed" } else { "ConnectFailed" };
        (ErrorKind::Connect, code, what)
    } else if e.is_builder() {
        (
            ErrorKind::Other,
            "RequestFailed",
            "the request could not be built",
        )
    } else if e.is_timeout() {
        (
            ErrorKind::Ambiguous,
            "ReadTimeout",
            "the request was sent but no answer came in time",
        )
    } else {
        (
            ErrorKind::Ambiguous,
            "NoResponse",
            "the connection closed before a complete answer",
        )
    };
    ApiError::local(kind, "", code, format!("{what} ({})", error_chain(&e)))
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
    Ok(sign::hex_lower(&b))
}

#[cfg(test)]
mod tests;
