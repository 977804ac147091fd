//! Credentials and the chain that finds them, as the official alicloud provider reads them.
//!
//! One file per source, and the chain that picks one:
//!
//! - [`static_keys`]: an AccessKey (and STS token) from provider arguments or the environment.
//! - [`cli_profile`]: a profile of the Alibaba Cloud CLI's `~/.aliyun/config.json`.
//! - [`ecs_role`]: an ECS instance's RAM role, from the metadata service (hardened mode).
//! - [`oidc`]: STS `AssumeRoleWithOIDC` with a token file (Kubernetes RRSA).
//! - [`assume_role`]: STS `AssumeRole` on top of whichever base was found.
//! - [`chain`]: the order, the environment variables, and why nothing was found.
//! - [`refresh`]: what the temporary sources share: the cache, and the HTTP rules for the
//!   metadata service and STS (no proxy, no redirect, https unless loopback, bounded time).
//!
//! The environment variables and their precedence, row by row against the official provider's
//! source, are in `docs/index.md` ("Authentication").

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::error::ApiError;

pub mod assume_role;
pub mod chain;
pub mod cli_profile;
pub mod ecs_role;
pub mod oidc;
pub mod refresh;
pub mod static_keys;

pub use assume_role::AssumeRoleCredentials;
pub use chain::{resolve, Resolved};
pub use ecs_role::EcsRoleCredentials;
pub use oidc::OidcRoleCredentials;
pub use static_keys::StaticCredentials;

/// The marker every hand-written `Debug` prints in place of a secret.
pub const REDACTED: &str = "***";

/// A secret string: never printed by `Debug` or `Display`, and overwritten with zeros when
/// dropped (each clone is its own copy and is zeroed in turn).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself, for signing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// Overwrites a string's bytes with zeros in place (same buffer; zeros are valid UTF-8).
fn wipe(s: &mut String) {
    let mut bytes = std::mem::take(s).into_bytes();
    bytes.fill(0);
    // Keeps the zeroing from being optimised away as a dead store before the free.
    std::hint::black_box(&mut bytes);
    *s = String::from_utf8(bytes).unwrap_or_default();
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(\"{REDACTED}\")")
    }
}

/// One set of credentials for signing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub access_key_secret: Secret,
    pub security_token: Option<Secret>,
}

/// Where signing credentials come from (static keys, a profile, ECS RAM role, STS).
#[async_trait]
pub trait CredentialsProvider: Send + Sync + fmt::Debug {
    async fn credentials(&self) -> Result<Credentials, ApiError>;
}

/// `assume_role { ... }` of the provider block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssumeRoleSettings {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub policy: Option<String>,
    /// Seconds.
    pub session_expiration: Option<i64>,
    pub external_id: Option<String>,
}

/// `assume_role_with_oidc { ... }` of the provider block (arguments left null are `None`;
/// the chain fills them from the environment).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OidcSettings {
    pub oidc_provider_arn: Option<String>,
    pub oidc_token_file: Option<String>,
    /// The token itself, instead of a file.
    pub oidc_token: Option<Secret>,
    pub role_arn: Option<String>,
    pub role_session_name: Option<String>,
    pub policy: Option<String>,
    /// Seconds.
    pub session_expiration: Option<i64>,
}

/// Everything the provider block says about credentials (arguments left null are `None`).
/// The environment is read by [`resolve`] through its `env` argument, so tests can inject it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CredentialSettings {
    pub access_key: Option<String>,
    pub secret_key: Option<Secret>,
    pub security_token: Option<Secret>,
    pub profile: Option<String>,
    pub shared_credentials_file: Option<String>,
    pub ecs_role_name: Option<String>,
    pub assume_role: Option<AssumeRoleSettings>,
    pub assume_role_with_oidc: Option<OidcSettings>,
    /// STS endpoint override (`endpoints.sts`); the default is the region's STS endpoint.
    pub sts_endpoint: Option<String>,
    pub region: String,
    /// Connect timeout of the metadata service and STS calls (`connect_timeout`).
    pub connect_timeout: Option<std::time::Duration>,
}

/// Why no credentials could be found, with every place the chain looked (for one diagnostic).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no credentials found; looked in: {}", searched.join("; "))]
pub struct NoCredentials {
    pub searched: Vec<String>,
    /// Set when a source was found but is unusable (e.g. a profile that does not exist,
    /// an access key without its secret): the one-line reason.
    pub problem: Option<String>,
}

/// The default metadata service (plain HTTP by design: it is link-local to the instance).
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://100.100.100.200";
/// The region's STS endpoint, as the official provider builds it (`sts.<region>.aliyuncs.com`);
/// the central endpoint when no region is known.
pub fn default_sts_endpoint(region: &str) -> String {
    if region.is_empty() {
        "https://sts.aliyuncs.com".to_string()
    } else {
        format!("https://sts.{region}.aliyuncs.com")
    }
}

/// A shared provider, the type every source returns.
pub type SharedProvider = Arc<dyn CredentialsProvider>;

#[cfg(test)]
mod tests;
