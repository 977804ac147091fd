//! A local emulator of the PolarDB and PolarDB-X backup APIs: signatures checked, errors shaped
//! like Alibaba's, backups that take time, faults injectable.
//!
//! - [`server`]: the HTTP server (hyper 1) and its accept loop; [`run`] takes a bound listener.
//! - [`request`]: an incoming request, with query and form-body parameters merged.
//! - [`auth`]: V2 and V3 signature checks, clock window, nonce reuse.
//! - [`polardb`] and [`polardbx`]: the actions of each product.
//! - [`state`]: clusters, instances, backups and tokens; JSON persistence.
//! - [`faults`]: seeded fault injection per action.
//! - [`admin`]: the `/_emulator/` JSON endpoints tests and demos use.
//! - [`error`]: every error code, message and HTTP status the emulator answers with.

pub mod admin;
pub mod auth;
pub mod error;
pub mod extras;
pub mod faults;
pub mod polardb;
pub mod polardbx;
pub mod request;
pub mod server;
pub mod state;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::{json, Value};

pub use auth::AccessKey;
pub use error::ApiFailure;
pub use faults::{FaultConfig, FaultRule};
pub use server::run;
pub use state::{Settings, State, StateFileError, Target};

use request::ApiRequest;

/// The access key the emulator accepts when none is configured. Documented, not secret.
pub const DEFAULT_ACCESS_KEY_ID: &str = "LTAIEmulatorKey";
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "EmulatorSecret";

/// The most request-log entries kept.
pub const MAX_LOG: usize = 10_000;

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

/// What the server does with an API request.
#[derive(Debug)]
pub enum Reply {
    Respond {
        status: u16,
        body: Value,
    },
    /// Close the connection without an answer (the action ran).
    Drop,
}

struct Inner {
    state: State,
    nonces: auth::NonceCache,
    log: Vec<LogEntry>,
    faults: FaultConfig,
    rng: faults::Rng,
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
            log: Vec::new(),
            faults: config.faults.clone(),
            rng: faults::Rng::new(config.seed),
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

    /// Handles one API request end to end: routing, authentication, faults, the action, the log.
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
            params: req.loggable_params(),
            outcome: String::new(),
            http_status: 0,
            fault: None,
        };
        let (result, dropped) = self
            .execute(&req, product, &action, now_ms, &mut entry)
            .await;
        let (status, body) = match result {
            Ok(mut body) => {
                if let Value::Object(m) = &mut body {
                    m.insert("RequestId".into(), json!(request_id));
                }
                entry.outcome = "Success".into();
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
        entry.http_status = if dropped { 0 } else { status };
        {
            let mut inner = self.lock();
            if inner.log.len() >= MAX_LOG {
                // Oldest tenth goes: a long demo must not grow without bound.
                inner.log.drain(..MAX_LOG / 10);
            }
            inner.log.push(entry);
        }
        if dropped {
            Reply::Drop
        } else {
            Reply::Respond { status, body }
        }
    }

    async fn execute(
        &self,
        req: &ApiRequest,
        product: &str,
        action: &str,
        now_ms: i64,
        entry: &mut LogEntry,
    ) -> (Result<Value, ApiFailure>, bool) {
        if action.is_empty() {
            return (Err(ApiFailure::missing("Action")), false);
        }
        let known = match product {
            "polardb" => polardb::ACTIONS.contains(&action),
            "polardbx" => polardbx::ACTIONS.contains(&action),
            _ if req.version().is_none() => return (Err(ApiFailure::missing("Version")), false),
            _ => return (Err(ApiFailure::unknown_version()), false),
        };
        if !known && !extras::knows(product, action) {
            return (Err(ApiFailure::unknown_action()), false);
        }
        let decision = {
            let mut inner = self.lock();
            let inner = &mut *inner;
            match auth::authenticate(req, &self.config.access_keys, &mut inner.nonces, now_ms) {
                Ok((scheme, _)) => entry.signature = Some(scheme.as_str().to_string()),
                Err(e) => return (Err(e), false),
            }
            faults::decide(&inner.faults, action, &mut inner.rng)
        };
        entry.fault = decision.label();
        if decision.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(decision.latency_ms)).await;
        }
        if let Some(e) = decision.refuse {
            return (Err(e), false);
        }
        let mut inner = self.lock();
        let result = if let Some(r) = extras::handle(product, action, req, &mut inner.state, now_ms)
        {
            r
        } else if product == "polardb" {
            polardb::handle(action, req, &mut inner.state, now_ms)
        } else {
            polardbx::handle(action, req, &mut inner.state, now_ms)
        };
        let write = if product == "polardb" {
            polardb::is_write(action)
        } else {
            polardbx::is_write(action)
        };
        if write && result.is_ok() {
            self.persist(&inner.state);
        }
        (result, decision.drop_after_commit)
    }

    /// Back to the configured start: state, settings, faults, log and nonces.
    pub fn reset(&self) {
        let mut inner = self.lock();
        inner.state = fresh_state(&self.config);
        add_targets(&mut inner.state, &self.config);
        inner.faults = self.config.faults.clone();
        inner.log.clear();
        inner.nonces = auth::NonceCache::default();
        inner.rng = faults::Rng::new(self.config.seed);
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
        self.lock().log.clone()
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
}
