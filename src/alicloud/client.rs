//! The RPC client: signs, sends (POST, form body), retries, and parses errors.

use std::sync::Arc;
use std::time::Duration;

use super::credentials::CredentialsProvider;
use super::error::{ApiError, ErrorKind};

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
#[derive(Clone, Debug)]
pub struct Client {
    config: Arc<ClientConfig>,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        Ok(Client {
            config: Arc::new(config),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Calls `action` with `params` (besides the common ones), retrying per the policy, and
    /// returns the parsed JSON body of the successful response.
    pub async fn call(
        &self,
        action: &str,
        _params: &[(&str, String)],
        _opts: CallOptions,
    ) -> Result<serde_json::Value, ApiError> {
        Err(ApiError {
            kind: ErrorKind::Other,
            action: action.to_string(),
            code: "NotImplemented".into(),
            message: "client not implemented yet".into(),
            request_id: None,
            host_id: None,
            recommend: None,
            http_status: None,
            attempts: 0,
            budget_exhausted: false,
        })
    }
}
