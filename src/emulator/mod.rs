//! A local emulator of the PolarDB and PolarDB-X backup APIs: signatures checked, errors shaped
//! like Alibaba's, backups that take time, faults injectable.
//!
//! - [`server`]: the HTTP server (hyper 1) and its accept loop; [`run`] takes a bound listener.
//! - [`request`]: an incoming request, with query and form-body parameters merged.
//! - [`auth`]: V2 and V3 signature checks, clock window, nonce reuse.
//! - [`polardb`] and [`polardbx`]: the actions of each product, each a table of [`actions`].
//! - [`state`]: clusters, instances, backups and tokens; JSON persistence.
//! - [`faults`]: seeded fault injection per action.
//! - [`dialect`]: which reading of the API's undocumented points is played (`documented`,
//!   `strict`, or strict behaviours one by one).
//! - [`flow`]: account-wide flow control (a token bucket per action) and per-action counts.
//! - [`admin`]: the `/_emulator/` JSON endpoints tests and demos use.
//! - [`error`]: every error code, message and HTTP status the emulator answers with.

pub mod actions;
pub mod admin;
pub mod auth;
pub mod dialect;
pub mod error;
pub mod extras;
pub mod faults;
pub mod flow;
pub mod polardb;
pub mod polardbx;
pub mod request;
pub mod server;
pub mod state;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

pub use auth::AccessKey;
pub use dialect::{Dialect, Strict};
pub use error::ApiFailure;
pub use faults::{FaultConfig, FaultRule};
pub use request::Endpoint;
pub use server::{run, run_endpoints};
pub use state::{Settings, State, StateFileError, Target};

use dialect::Strict as S;
use request::ApiRequest;

/// The access key the emulator accepts when none is configured. Documented, not secret.
pub const DEFAULT_ACCESS_KEY_ID: &str = "LTAIEmulatorKey";
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "EmulatorSecret";

/// The most request-log entries kept.
pub const MAX_LOG: usize = 10_000;
/// The most bytes (estimated: the text of every field) the request log keeps.
pub const MAX_LOG_BYTES: usize = 4 << 20;
/// A logged parameter value longer than this is cut, with a marker.
pub const MAX_LOGGED_VALUE: usize = 256;
/// The most concurrent connections by default; more wait in the kernel's backlog.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// How long a client may take to send a request's headers by default.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How the emulator starts: keys, targets, settings, faults.
#[derive(Clone, Debug)]
pub struct Config {
    pub access_keys: Vec<AccessKey>,
    pub region: String,
    /// PolarDB clusters: id and status (`Running` unless said otherwise).
    pub clusters: Vec<(String, String)>,
    /// PolarDB-X instances: name and status.
    pub instances: Vec<(String, String)>,
    pub settings: Settings,
    pub faults: FaultConfig,
    pub seed: u64,
    pub state_file: Option<PathBuf>,
    /// The token `/_emulator/*` requests must carry (`Authorization: Bearer TOKEN`); required
    /// when listening beyond loopback. Never logged.
    pub admin_token: Option<AdminToken>,
    /// Connections served at once.
    pub max_connections: usize,
    /// A connection that has not sent a request's headers in this time is closed.
    pub header_read_timeout: Duration,
}

/// The admin token: compared in constant time, never shown by `Debug`.
#[derive(Clone)]
pub struct AdminToken(String);

impl AdminToken {
    pub fn new(token: impl Into<String>) -> AdminToken {
        AdminToken(token.into())
    }

    /// Whether `given` is the token (in time independent of where they differ; a length that
    /// differs answers at once, as the length is no secret).
    pub fn matches(&self, given: &str) -> bool {
        self.0.as_bytes().ct_eq(given.as_bytes()).into()
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            access_keys: vec![AccessKey {
                id: DEFAULT_ACCESS_KEY_ID.into(),
                secret: DEFAULT_ACCESS_KEY_SECRET.into(),
            }],
            region: "cn-hangzhou".into(),
            clusters: Vec::new(),
            instances: Vec::new(),
            settings: Settings::default(),
            faults: FaultConfig::new(),
            seed: 0,
            state_file: None,
            admin_token: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
        }
    }
}

/// One line of the request log the admin API serves.
#[derive(Clone, Debug, Serialize)]
pub struct LogEntry {
    pub time: String,
    pub request_id: String,
    pub product: String,
    pub action: String,
    pub signature: Option<String>,
    pub params: std::collections::BTreeMap<String, String>,
    /// `Success` or the error code answered.
    pub outcome: String,
    pub http_status: u16,
    /// The injected fault, if any: an error code or `drop_after_commit`.
    pub fault: Option<String>,
}

impl LogEntry {
    /// Roughly the bytes the entry holds: the text of its fields.
    fn weight(&self) -> usize {
        let fixed = self.time.len()
            + self.request_id.len()
            + self.product.len()
            + self.action.len()
            + self.outcome.len()
            + self.signature.as_ref().map_or(0, String::len)
            + self.fault.as_ref().map_or(0, String::len)
            + 64;
        self.params
            .iter()
            .fold(fixed, |n, (k, v)| n.saturating_add(k.len() + v.len() + 8))
    }
}

/// The request log: at most [`MAX_LOG`] entries and [`MAX_LOG_BYTES`]; the oldest go first.
#[derive(Debug, Default)]
struct RequestLog {
    entries: std::collections::VecDeque<LogEntry>,
    bytes: usize,
}

impl RequestLog {
    fn push(&mut self, entry: LogEntry) {
        self.bytes = self.bytes.saturating_add(entry.weight());
        self.entries.push_back(entry);
        while self.entries.len() > MAX_LOG || self.bytes > MAX_LOG_BYTES {
            match self.entries.pop_front() {
                Some(old) => self.bytes = self.bytes.saturating_sub(old.weight()),
                None => break,
            }
        }
    }

    fn snapshot(&self) -> Vec<LogEntry> {
        self.entries.iter().cloned().collect()
    }
}

/// What the server does with an API request.
#[derive(Debug)]
pub enum Reply {
    Respond {
        status: u16,
        body: Value,
    },
    /// Close the connection without an answer (the action ran).
    Drop,
    /// A gateway's own answer, not JSON (`gateway-502`: the action ran).
    Gateway {
        status: u16,
        body: String,
    },
}

/// The body a gateway answers a 502 with: HTML, as a load balancer would.
pub const GATEWAY_502_BODY: &str =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

/// What [`Emulator::execute`] decided.
struct Outcome {
    result: Result<Value, ApiFailure>,
    /// The failure came from the product's action, not from the gateway in front of it.
    from_action: bool,
    /// Drop the connection after the action ran.
    dropped: bool,
    /// Answer a gateway 502 after the action ran.
    gateway_502: bool,
}

impl Outcome {
    fn gateway(e: ApiFailure) -> Outcome {
        Outcome {
            result: Err(e),
            from_action: false,
            dropped: false,
            gateway_502: false,
        }
    }
}

struct Inner {
    state: State,
    nonces: auth::NonceCache,
    log: RequestLog,
    faults: FaultConfig,
    rng: faults::Rng,
    flow: flow::FlowControl,
    stats: BTreeMap<String, flow::ActionStats>,
    /// PolarDB-X CreateBackups answered so far, per instance (for `gateway-502`).
    creates: HashMap<String, u64>,
}

/// The emulator: shared, cheap to clone, safe to use from every connection.
#[derive(Clone)]
pub struct Emulator {
    config: Arc<Config>,
    inner: Arc<Mutex<Inner>>,
}

impl Emulator {
    /// Builds the emulator, loading the state file when there is one. Clusters and instances named
    /// in the configuration are added to a loaded state if it lacks them.
    pub fn new(config: Config) -> Result<Emulator, StateFileError> {
        let mut state = match &config.state_file {
            Some(path) => State::load(path)?.unwrap_or_else(|| fresh_state(&config)),
            None => fresh_state(&config),
        };
        add_targets(&mut state, &config);
        let inner = Inner {
            state,
            nonces: auth::NonceCache::default(),
            log: RequestLog::default(),
            faults: config.faults.clone(),
            rng: faults::Rng::new(config.seed),
            flow: flow::FlowControl::default(),
            stats: BTreeMap::new(),
            creates: HashMap::new(),
        };
        let emu = Emulator {
            config: Arc::new(config),
            inner: Arc::new(Mutex::new(inner)),
        };
        emu.persist(&emu.lock().state);
        Ok(emu)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The lock is never held across an await, and a panic elsewhere must not wedge the server.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn persist(&self, state: &State) {
        if let Some(path) = &self.config.state_file {
            if let Err(e) = state.save(path) {
                tracing::warn!("{e}");
            }
        }
    }

    /// Handles one API request end to end: routing, authentication, flow control, faults, the
    /// action, the dialect's answer shape, the log.
    pub async fn handle_api(&self, req: ApiRequest) -> Reply {
        let request_id = new_request_id();
        let now = SystemTime::now();
        let now_ms = crate::timefmt::unix_millis(now);
        let action = req.action().unwrap_or_default().to_string();
        let version = req.version().unwrap_or_default().to_string();
        let product = match version.as_str() {
            polardb::VERSION => "polardb",
            polardbx::VERSION => "polardbx",
            _ => "",
        };
        let mut entry = LogEntry {
            time: crate::timefmt::iso8601_seconds(now),
            request_id: request_id.clone(),
            product: product.to_string(),
            action: action.clone(),
            signature: None,
            // Filled in only once the request is authenticated: nobody else's bytes are kept.
            params: BTreeMap::new(),
            outcome: String::new(),
            http_status: 0,
            fault: None,
        };
        let outcome = self
            .execute(&req, product, &action, now_ms, &mut entry)
            .await;
        let settings = self.lock().state.settings.clone();
        let (status, body) = match outcome.result {
            Ok(mut body) => {
                if let Value::Object(m) = &mut body {
                    m.insert("RequestId".into(), json!(request_id));
                }
                entry.outcome = "Success".into();
                (200, body)
            }
            // `success-false`: PolarDB-X's own errors are HTTP 200 with `Success: false`, no code.
            Err(e)
                if outcome.from_action
                    && product == "polardbx"
                    && settings.strict(S::SuccessFalse) =>
            {
                entry.outcome = e.code.clone();
                let body = json!({
                    "RequestId": request_id,
                    "Success": false,
                    "Message": e.message,
                });
                (200, body)
            }
            Err(e) => {
                entry.outcome = e.code.clone();
                let host = match product {
                    "polardbx" => "polardbx.aliyuncs.com",
                    _ => "polardb.aliyuncs.com",
                };
                let body = json!({
                    "RequestId": request_id,
                    "HostId": host,
                    "Code": e.code,
                    "Message": e.message,
                    "Recommend": format!(
                        "https://api.aliyun.com/troubleshoot?q={}&product={}&requestId={}",
                        e.code, if product.is_empty() { "polardb" } else { product }, request_id
                    ),
                });
                (e.status, body)
            }
        };
        let (status, reply) = if outcome.dropped {
            (0, Reply::Drop)
        } else if outcome.gateway_502 {
            entry.fault = Some("gateway_502".into());
            (
                502,
                Reply::Gateway {
                    status: 502,
                    body: GATEWAY_502_BODY.to_string(),
                },
            )
        } else {
            (status, Reply::Respond { status, body })
        };
        entry.http_status = status;
        {
            let mut inner = self.lock();
            if !action.is_empty() {
                let key = action.chars().take(64).collect::<String>();
                let known = inner.stats.contains_key(&key) || inner.stats.len() < 256;
                if known {
                    let s = inner.stats.entry(key).or_default();
                    s.requests = s.requests.saturating_add(1);
                    if entry.outcome == "Throttling.User" {
                        s.throttled = s.throttled.saturating_add(1);
                    }
                    if entry.fault.as_deref() == Some("flow_control") {
                        s.flow_controlled = s.flow_controlled.saturating_add(1);
                    }
                }
            }
            inner.log.push(entry);
        }
        reply
    }

    async fn execute(
        &self,
        req: &ApiRequest,
        product: &str,
        action: &str,
        now_ms: i64,
        entry: &mut LogEntry,
    ) -> Outcome {
        if action.is_empty() {
            return Outcome::gateway(ApiFailure::missing("Action"));
        }
        let settings = self.lock().state.settings.clone();
        // `host-product`: the host names the product; a version of another product is unknown
        // there, as it is to the real gateway.
        if settings.strict(S::HostProduct) {
            if let Some(host_product) = req.endpoint.product() {
                if !product.is_empty() && product != host_product {
                    return Outcome::gateway(ApiFailure::unknown_version());
                }
            }
        }
        let table = match product {
            "polardb" => polardb::ACTIONS,
            "polardbx" => polardbx::ACTIONS,
            _ if req.version().is_none() => {
                return Outcome::gateway(ApiFailure::missing("Version"))
            }
            _ => return Outcome::gateway(ApiFailure::unknown_version()),
        };
        let found = actions::find(table, action);
        if found.is_none() && !extras::knows(product, action) {
            return Outcome::gateway(ApiFailure::unknown_action());
        }
        if settings.strict(S::GetOnly)
            && product == "polardbx"
            && polardbx::GET_ONLY.contains(&action)
            && req.method != "GET"
        {
            return Outcome::gateway(ApiFailure::unsupported_method());
        }
        let decision = {
            let mut inner = self.lock();
            let inner = &mut *inner;
            match auth::authenticate(req, &self.config.access_keys, &mut inner.nonces, now_ms) {
                Ok((scheme, _)) => {
                    entry.signature = Some(scheme.as_str().to_string());
                    entry.params = req.loggable_params(MAX_LOGGED_VALUE);
                }
                Err(e) => return Outcome::gateway(e),
            }
            if !inner
                .flow
                .admit(&settings.rate_limit, product, action, now_ms)
            {
                entry.fault = Some("flow_control".into());
                return Outcome::gateway(ApiFailure::throttled());
            }
            faults::decide(&inner.faults, action, &mut inner.rng)
        };
        entry.fault = decision.label();
        if decision.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(decision.latency_ms)).await;
        }
        if let Some(e) = decision.refuse {
            return Outcome::gateway(e);
        }
        let mut inner = self.lock();
        let result = if let Some(r) = extras::handle(product, action, req, &mut inner.state, now_ms)
        {
            r
        } else {
            actions::answer(table, action, req, &mut inner.state, now_ms)
        };
        let write = found.is_some_and(actions::Action::writes);
        if write && result.is_ok() {
            self.persist(&inner.state);
        }
        // `gateway-502`: the 1st, 3rd, 5th... create of each instance is answered with a 502.
        let mut gateway_502 = false;
        if product == "polardbx"
            && action == "CreateBackup"
            && result.is_ok()
            && inner.state.settings.strict(S::Gateway502)
        {
            let name = req.param("DBInstanceName").unwrap_or_default().to_string();
            let n = inner.creates.entry(name).or_insert(0);
            *n = n.saturating_add(1);
            gateway_502 = *n % 2 == 1;
        }
        Outcome {
            result,
            from_action: true,
            dropped: decision.drop_after_commit,
            gateway_502: gateway_502 && !decision.drop_after_commit,
        }
    }

    /// Back to the configured start: state, settings, faults, log and nonces.
    pub fn reset(&self) {
        let mut inner = self.lock();
        inner.state = fresh_state(&self.config);
        add_targets(&mut inner.state, &self.config);
        inner.faults = self.config.faults.clone();
        inner.log = RequestLog::default();
        inner.nonces = auth::NonceCache::default();
        inner.rng = faults::Rng::new(self.config.seed);
        inner.flow = flow::FlowControl::default();
        inner.stats.clear();
        inner.creates.clear();
        self.persist(&inner.state);
    }

    /// Runs `f` on the state and saves it afterwards (admin changes).
    pub fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut inner = self.lock();
        let out = f(&mut inner.state);
        self.persist(&inner.state);
        out
    }

    pub fn log(&self) -> Vec<LogEntry> {
        self.lock().log.snapshot()
    }

    /// Requests, throttled answers and flow-control refusals per action, since start or reset.
    pub fn stats(&self) -> BTreeMap<String, flow::ActionStats> {
        self.lock().stats.clone()
    }

    pub fn faults(&self) -> FaultConfig {
        self.lock().faults.clone()
    }

    pub fn set_faults(&self, faults: FaultConfig) {
        self.lock().faults = faults;
    }
}

fn fresh_state(config: &Config) -> State {
    State {
        settings: config.settings.clone(),
        ..State::default()
    }
}

fn add_targets(state: &mut State, config: &Config) {
    for (id, status) in &config.clusters {
        state.clusters.entry(id.clone()).or_insert_with(|| Target {
            status: status.clone(),
            region: config.region.clone(),
        });
    }
    for (id, status) in &config.instances {
        state.instances.entry(id.clone()).or_insert_with(|| Target {
            status: status.clone(),
            region: config.region.clone(),
        });
    }
}

/// A RequestId shaped like the cloud's: an upper-case UUID.
pub fn new_request_id() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        let t = crate::timefmt::unix_millis(SystemTime::now()) as u64;
        b[..8].copy_from_slice(&t.to_be_bytes());
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Request ids look like the cloud's upper-case UUIDs and differ each time.
    #[test]
    fn request_ids() {
        let a = new_request_id();
        assert_eq!(a.len(), 36);
        assert_eq!(a, a.to_uppercase());
        assert_eq!(a.matches('-').count(), 4);
        assert_ne!(a, new_request_id());
    }

    /// The log drops its oldest entries to stay under its byte budget, however big they are.
    #[test]
    fn request_log_is_bounded_in_bytes() {
        let mut log = RequestLog::default();
        for i in 0..2000 {
            let mut params = BTreeMap::new();
            params.insert("Junk".to_string(), "x".repeat(10_000));
            log.push(LogEntry {
                time: String::new(),
                request_id: i.to_string(),
                product: String::new(),
                action: "A".into(),
                signature: None,
                params,
                outcome: String::new(),
                http_status: 200,
                fault: None,
            });
        }
        assert!(log.bytes <= MAX_LOG_BYTES, "{} bytes", log.bytes);
        let kept = log.snapshot();
        assert!(kept.len() < 2000 && !kept.is_empty());
        assert_eq!(kept.last().map(|e| e.request_id.as_str()), Some("1999"));
        let json = serde_json::to_string(&kept).unwrap_or_default();
        assert!(
            json.len() <= MAX_LOG_BYTES + MAX_LOG_BYTES / 10,
            "{}",
            json.len()
        );
    }

    /// Fuzz-ish: extreme and malformed numbers in every numeric parameter of every action are
    /// answered (success or a 4xx), never a panic or a 5xx.
    #[test]
    fn extreme_request_values_never_panic() {
        let values = [
            "",
            "0",
            "-1",
            "1",
            "5",
            "1000",
            "1001",
            "2147483647",
            "2147483648",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "1e400",
            "NaN",
            " 7",
            "\u{663}",
            "2025-11-24T00:00Z",
            "9999-12-31T23:59Z",
            "0000-01-01T00:00Z",
        ];
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "polardb",
                "DescribeBackups",
                &["PageSize", "PageNumber", "StartTime", "EndTime", "BackupId"],
            ),
            ("polardb", "CreateBackup", &["ClientToken", "RegionId"]),
            ("polardb", "DescribeBackupTasks", &["BackupJobId"]),
            ("polardb", "DeleteBackup", &["BackupId"]),
            (
                "polardbx",
                "DescribeBackupSetList",
                &["PageSize", "PageNumber", "StartTime", "EndTime"],
            ),
            ("polardbx", "DescribeBackupSet", &["BackupSetId"]),
            ("polardbx", "CreateBackup", &["BackupType"]),
        ];
        for dialect in [dialect::Dialect::Documented, dialect::Dialect::Strict] {
            let mut state = State::default();
            state.settings.dialect = dialect;
            for (map, id) in [
                (&mut state.clusters, "pc-1"),
                (&mut state.instances, "pxc-1"),
            ] {
                map.insert(
                    id.into(),
                    Target {
                        status: "Running".into(),
                        region: "cn-hangzhou".into(),
                    },
                );
            }
            for &(product, action, names) in cases {
                for name in names {
                    for value in values {
                        let mut params = vec![
                            ("DBClusterId", "pc-1"),
                            ("DBInstanceName", "pxc-1"),
                            ("RegionId", "cn-hangzhou"),
                            ("StartTime", "2025-11-24T00:00Z"),
                            ("EndTime", "2025-11-26T00:00Z"),
                            ("BackupSetId", "1"),
                            ("BackupId", "1"),
                        ];
                        params.retain(|(k, _)| k != name);
                        params.push((name, value));
                        let q = params
                            .iter()
                            .map(|(k, v)| {
                                let v: String =
                                    url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
                                format!("{k}={v}")
                            })
                            .collect::<Vec<_>>()
                            .join("&");
                        let req = ApiRequest::new("POST", "/", Some(&q), Vec::new(), Vec::new());
                        for now in [0, 1_764_000_000_000, i64::MAX] {
                            let table = if product == "polardb" {
                                polardb::ACTIONS
                            } else {
                                polardbx::ACTIONS
                            };
                            let got = actions::answer(table, action, &req, &mut state, now);
                            if let Err(e) = got {
                                assert!(
                                    (400..500).contains(&e.status),
                                    "{action} {name}={value:?}: {e}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
