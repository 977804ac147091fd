//! Credentials and the chain that finds them, in the order the official alicloud provider uses.
//!
//! Order: provider arguments (each falling back to its environment variables, as the official
//! provider's `DefaultFunc`s do), then a profile of the Alibaba Cloud CLI's `~/.aliyun/config.json`,
//! then an ECS RAM role through the instance metadata service; `assume_role` wraps whichever base
//! was found. Environment variables, first match wins:
//!
//! | Setting | Variables |
//! |---|---|
//! | access key | `ALICLOUD_ACCESS_KEY`, `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALICLOUD_ACCESS_KEY_ID` |
//! | secret key | `ALICLOUD_SECRET_KEY`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, `ALICLOUD_ACCESS_KEY_SECRET` |
//! | security token | `ALICLOUD_SECURITY_TOKEN`, `ALIBABA_CLOUD_SECURITY_TOKEN` |
//! | profile | `ALICLOUD_PROFILE`, `ALIBABA_CLOUD_PROFILE` |
//! | shared credentials file | `ALICLOUD_SHARED_CREDENTIALS_FILE` |
//! | ECS role name | `ALICLOUD_ECS_ROLE_NAME`, `ALIBABA_CLOUD_ECS_METADATA` |
//! | assume role ARN | `ALICLOUD_ASSUME_ROLE_ARN`, `ALIBABA_CLOUD_ROLE_ARN` |
//! | assume role session name | `ALICLOUD_ASSUME_ROLE_SESSION_NAME`, `ALIBABA_CLOUD_ROLE_SESSION_NAME` |
//! | assume role expiration (s) | `ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION` |
//! | STS endpoint | `ALICLOUD_STS_ENDPOINT`, `ALIBABA_CLOUD_STS_ENDPOINT` |
//! | metadata service base URL (tests) | `ALIBABA_CLOUD_ECS_METADATA_ENDPOINT` (default `http://100.100.100.200`) |
//!
//! Temporary credentials (ECS role, AssumeRole) are fetched lazily on first use and cached until
//! five minutes before they expire.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::error::{self, ApiError, ErrorKind};
use super::sign;
use crate::timefmt;

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

/// The default metadata service; tests always override it.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://100.100.100.200";
/// The default STS endpoint.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.aliyuncs.com";
/// Temporary credentials are refreshed this long before they expire.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// The first non-empty value of `names` in the environment.
fn first_env(env: &dyn Fn(&str) -> Option<String>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|n| env(n))
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
}

/// A provider argument, trimmed, or else the first of the environment variables `names` that
/// is set and not blank: every argument with an environment fallback resolves this one way.
fn argument_or_env(
    argument: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    names: &[&str],
) -> Option<String> {
    argument
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .or_else(|| first_env(env, names))
}

/// Resolves the chain: provider arguments, then environment variables, then the Alibaba Cloud
/// CLI profile, then the ECS RAM role; `assume_role` on top. `env` looks up environment variables
/// and `home` is the home directory (for `~/.aliyun/config.json`).
pub fn resolve(
    settings: &CredentialSettings,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<Arc<dyn CredentialsProvider>, NoCredentials> {
    let mut searched = Vec::new();
    let fail = |searched: &Vec<String>, problem: Option<String>| NoCredentials {
        searched: searched.clone(),
        problem,
    };
    let sts_endpoint = argument_or_env(
        settings.sts_endpoint.as_deref(),
        env,
        &["ALICLOUD_STS_ENDPOINT", "ALIBABA_CLOUD_STS_ENDPOINT"],
    )
    .unwrap_or_else(|| DEFAULT_STS_ENDPOINT.to_string());
    let metadata_endpoint = first_env(env, &["ALIBABA_CLOUD_ECS_METADATA_ENDPOINT"])
        .unwrap_or_else(|| DEFAULT_METADATA_ENDPOINT.to_string());
    let assume_role = assume_role_settings(settings, env);

    // 1. Provider arguments, each with its environment fallback.
    searched.push("provider arguments access_key/secret_key".to_string());
    searched.push(
        "environment ALICLOUD_ACCESS_KEY/ALIBABA_CLOUD_ACCESS_KEY_ID and ALICLOUD_SECRET_KEY/ALIBABA_CLOUD_ACCESS_KEY_SECRET"
            .to_string(),
    );
    let key = argument_or_env(
        settings.access_key.as_deref(),
        env,
        &[
            "ALICLOUD_ACCESS_KEY",
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALICLOUD_ACCESS_KEY_ID",
        ],
    );
    let secret = argument_or_env(
        settings.secret_key.as_ref().map(Secret::expose),
        env,
        &[
            "ALICLOUD_SECRET_KEY",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            "ALICLOUD_ACCESS_KEY_SECRET",
        ],
    );
    let token = argument_or_env(
        settings.security_token.as_ref().map(Secret::expose),
        env,
        &["ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_SECURITY_TOKEN"],
    );
    let base: Option<Arc<dyn CredentialsProvider>> = match (key, secret) {
        (Some(id), Some(secret)) => Some(Arc::new(StaticCredentials(Credentials {
            access_key_id: id,
            access_key_secret: Secret::new(secret),
            security_token: token.map(Secret::new),
        }))),
        (Some(_), None) => {
            return Err(fail(
                &searched,
                Some("an access key is set but its secret key is not".to_string()),
            ))
        }
        (None, Some(_)) => {
            return Err(fail(
                &searched,
                Some("a secret key is set but its access key is not".to_string()),
            ))
        }
        (None, None) => None,
    };

    // 2. The CLI profile.
    let base = match base {
        Some(b) => b,
        None => {
            let named = argument_or_env(
                settings.profile.as_deref(),
                env,
                &["ALICLOUD_PROFILE", "ALIBABA_CLOUD_PROFILE"],
            );
            let path = argument_or_env(
                settings.shared_credentials_file.as_deref(),
                env,
                &["ALICLOUD_SHARED_CREDENTIALS_FILE"],
            )
            .map(PathBuf::from)
            .or_else(|| home.map(|h| h.join(".aliyun").join("config.json")));
            let from_profile = match &path {
                Some(p) => {
                    searched.push(format!(
                        "profile {} in {}",
                        named.as_deref().unwrap_or("(current)"),
                        p.display()
                    ));
                    match load_profile(p, named.as_deref(), &sts_endpoint, &metadata_endpoint) {
                        Ok(found) => found,
                        Err(problem) => return Err(fail(&searched, Some(problem))),
                    }
                }
                None => {
                    if let Some(name) = &named {
                        searched.push(format!("profile {name}"));
                        return Err(fail(
                            &searched,
                            Some(format!("profile {name:?} is set but there is no home directory or shared_credentials_file to read it from")),
                        ));
                    }
                    None
                }
            };
            match from_profile {
                Some(p) => p,
                None => {
                    // 3. The ECS RAM role.
                    searched.push("ECS RAM role ecs_role_name/ALICLOUD_ECS_ROLE_NAME".to_string());
                    let role = argument_or_env(
                        settings.ecs_role_name.as_deref(),
                        env,
                        &["ALICLOUD_ECS_ROLE_NAME", "ALIBABA_CLOUD_ECS_METADATA"],
                    );
                    match role {
                        Some(role) => Arc::new(EcsRoleCredentials::new(&role, &metadata_endpoint)),
                        None => return Err(fail(&searched, None)),
                    }
                }
            }
        }
    };

    Ok(match assume_role {
        Some(ar) => Arc::new(AssumeRoleCredentials::new(base, ar, &sts_endpoint)),
        None => base,
    })
}

/// `assume_role` from the provider block, else from the environment (role ARN required).
fn assume_role_settings(
    settings: &CredentialSettings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<AssumeRoleSettings> {
    if let Some(ar) = &settings.assume_role {
        let mut ar = ar.clone();
        if ar.role_arn.trim().is_empty() {
            ar.role_arn = first_env(env, &["ALICLOUD_ASSUME_ROLE_ARN", "ALIBABA_CLOUD_ROLE_ARN"])?;
        }
        if ar.session_name.is_none() {
            ar.session_name = first_env(
                env,
                &[
                    "ALICLOUD_ASSUME_ROLE_SESSION_NAME",
                    "ALIBABA_CLOUD_ROLE_SESSION_NAME",
                ],
            );
        }
        return Some(ar);
    }
    let role_arn = first_env(env, &["ALICLOUD_ASSUME_ROLE_ARN", "ALIBABA_CLOUD_ROLE_ARN"])?;
    Some(AssumeRoleSettings {
        role_arn,
        session_name: first_env(
            env,
            &[
                "ALICLOUD_ASSUME_ROLE_SESSION_NAME",
                "ALIBABA_CLOUD_ROLE_SESSION_NAME",
            ],
        ),
        policy: None,
        session_expiration: first_env(env, &["ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION"])
            .and_then(|s| s.parse().ok()),
        external_id: None,
    })
}

/// One profile of `~/.aliyun/config.json` (the fields this provider uses).
#[derive(Debug, Default, serde::Deserialize)]
struct CliProfile {
    #[serde(default)]
    name: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    access_key_id: String,
    #[serde(default)]
    access_key_secret: String,
    #[serde(default)]
    sts_token: String,
    #[serde(default)]
    ram_role_name: String,
    #[serde(default)]
    ram_role_arn: String,
    #[serde(default)]
    ram_session_name: String,
    #[serde(default)]
    expired_seconds: i64,
}

#[derive(Debug, Default, serde::Deserialize)]
struct CliConfig {
    #[serde(default)]
    current: String,
    #[serde(default)]
    profiles: Vec<CliProfile>,
}

/// Loads a profile: `Ok(None)` when no profile was named and the file does not exist; an `Err`
/// holds the one-line problem (missing named profile, unreadable file, unsupported mode).
fn load_profile(
    path: &Path,
    named: Option<&str>,
    sts_endpoint: &str,
    metadata_endpoint: &str,
) -> Result<Option<Arc<dyn CredentialsProvider>>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && named.is_none() => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let config: CliConfig = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{} is not a valid Alibaba Cloud CLI config: {e}",
            path.display()
        )
    })?;
    let wanted = named
        .map(str::to_string)
        .unwrap_or_else(|| config.current.clone());
    if wanted.is_empty() {
        return Ok(None);
    }
    let profile = config
        .profiles
        .iter()
        .find(|p| p.name == wanted)
        .ok_or_else(|| format!("profile {wanted:?} does not exist in {}", path.display()))?;
    let keys = || -> Result<Credentials, String> {
        if profile.access_key_id.is_empty() || profile.access_key_secret.is_empty() {
            return Err(format!(
                "profile {wanted:?} (mode {}) has no access_key_id/access_key_secret",
                profile.mode
            ));
        }
        Ok(Credentials {
            access_key_id: profile.access_key_id.clone(),
            access_key_secret: Secret::new(profile.access_key_secret.clone()),
            security_token: None,
        })
    };
    let provider: Arc<dyn CredentialsProvider> = match profile.mode.as_str() {
        "AK" | "" => Arc::new(StaticCredentials(keys()?)),
        "StsToken" => {
            let mut c = keys()?;
            if profile.sts_token.is_empty() {
                return Err(format!("profile {wanted:?} (mode StsToken) has no sts_token"));
            }
            c.security_token = Some(Secret::new(profile.sts_token.clone()));
            Arc::new(StaticCredentials(c))
        }
        "RamRoleArn" => {
            let base = Arc::new(StaticCredentials(keys()?));
            let ar = AssumeRoleSettings {
                role_arn: profile.ram_role_arn.clone(),
                session_name: Some(profile.ram_session_name.clone()).filter(|s| !s.is_empty()),
                policy: None,
                session_expiration: Some(profile.expired_seconds).filter(|s| *s > 0),
                external_id: None,
            };
            if ar.role_arn.is_empty() {
                return Err(format!("profile {wanted:?} (mode RamRoleArn) has no ram_role_arn"));
            }
            Arc::new(AssumeRoleCredentials::new(base, ar, sts_endpoint))
        }
        "EcsRamRole" => {
            if profile.ram_role_name.is_empty() {
                return Err(format!("profile {wanted:?} (mode EcsRamRole) has no ram_role_name"));
            }
            Arc::new(EcsRoleCredentials::new(&profile.ram_role_name, metadata_endpoint))
        }
        other => {
            return Err(format!(
                "profile {wanted:?} uses mode {other:?}; supported modes are AK, StsToken, RamRoleArn, EcsRamRole"
            ))
        }
    };
    Ok(Some(provider))
}

/// Cached temporary credentials and when they expire.
#[derive(Clone, Debug)]
struct Cached {
    creds: Credentials,
    expires: SystemTime,
}

impl Cached {
    fn fresh(&self, now: SystemTime) -> bool {
        now + REFRESH_MARGIN < self.expires
    }

    /// The cached credentials while fresh, else what `fetch` gets, which is then cached. The
    /// lock is held across the fetch, so concurrent callers wait for one fetch rather than
    /// each making their own; `fetch` is not run at all while the cache is fresh.
    async fn get_or_fetch(
        cache: &tokio::sync::Mutex<Option<Cached>>,
        fetch: impl std::future::Future<Output = Result<Cached, ApiError>>,
    ) -> Result<Credentials, ApiError> {
        let mut cache = cache.lock().await;
        if let Some(c) = cache.as_ref().filter(|c| c.fresh(SystemTime::now())) {
            return Ok(c.creds.clone());
        }
        let fetched = fetch.await?;
        let creds = fetched.creds.clone();
        *cache = Some(fetched);
        Ok(creds)
    }
}

fn http_client() -> Result<reqwest::Client, ApiError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| {
            ApiError::local(
                ErrorKind::Other,
                "",
                "HttpClient",
                format!("cannot build the HTTP client: {e}"),
            )
        })
}

fn transport(action: &str, e: reqwest::Error) -> ApiError {
    let kind = if e.is_connect() {
        ErrorKind::Connect
    } else {
        ErrorKind::Ambiguous
    };
    ApiError::local(kind, action, "CredentialsUnavailable", e.to_string())
}

/// Reads the temporary keys out of a metadata or STS JSON object.
fn temporary_keys(action: &str, v: &serde_json::Value) -> Result<Cached, ApiError> {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let (id, secret, token, exp) = (
        s("AccessKeyId"),
        s("AccessKeySecret"),
        s("SecurityToken"),
        s("Expiration"),
    );
    let expires = timefmt::parse_iso8601(&exp).map(timefmt::from_unix_secs);
    match (id.is_empty() || secret.is_empty(), expires) {
        (false, Some(expires)) => Ok(Cached {
            creds: Credentials {
                access_key_id: id,
                access_key_secret: Secret::new(secret),
                security_token: (!token.is_empty()).then(|| Secret::new(token)),
            },
            expires,
        }),
        _ => Err(ApiError::local(
            ErrorKind::Auth,
            action,
            "CredentialsUnavailable",
            "the answer holds no AccessKeyId/AccessKeySecret/Expiration",
        )),
    }
}

/// Credentials of an ECS instance's RAM role, from the instance metadata service.
pub struct EcsRoleCredentials {
    role: String,
    endpoint: String,
    cache: tokio::sync::Mutex<Option<Cached>>,
}

impl fmt::Debug for EcsRoleCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcsRoleCredentials")
            .field("role", &self.role)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl EcsRoleCredentials {
    pub fn new(role: &str, metadata_endpoint: &str) -> EcsRoleCredentials {
        EcsRoleCredentials {
            role: role.to_string(),
            endpoint: metadata_endpoint.trim_end_matches('/').to_string(),
            cache: tokio::sync::Mutex::new(None),
        }
    }

    async fn fetch(&self) -> Result<Cached, ApiError> {
        const WHAT: &str = "ECS metadata";
        let url = format!(
            "{}/latest/meta-data/ram/security-credentials/{}",
            self.endpoint,
            sign::percent_encode(&self.role)
        );
        let resp = http_client()?
            .get(url)
            .send()
            .await
            .map_err(|e| transport(WHAT, e))?;
        let status = resp.status().as_u16();
        let body = resp.text().await.map_err(|e| transport(WHAT, e))?;
        if status != 200 {
            let mut e = error::parse_error_body(WHAT, status, &body);
            e.message = format!("ECS RAM role {:?}: {}", self.role, e.message);
            if e.kind == ErrorKind::Other {
                e.kind = ErrorKind::Auth;
            }
            return Err(e);
        }
        let v: serde_json::Value = serde_json::from_str(&body).map_err(|_| {
            ApiError::local(
                ErrorKind::Other,
                WHAT,
                "CredentialsUnavailable",
                "metadata answer is not JSON",
            )
        })?;
        temporary_keys(WHAT, &v)
    }
}

#[async_trait]
impl CredentialsProvider for EcsRoleCredentials {
    async fn credentials(&self) -> Result<Credentials, ApiError> {
        Cached::get_or_fetch(&self.cache, self.fetch()).await
    }
}

/// Credentials from STS `AssumeRole` (2015-04-01), signed V2 with a base provider's credentials.
pub struct AssumeRoleCredentials {
    base: Arc<dyn CredentialsProvider>,
    settings: AssumeRoleSettings,
    endpoint: String,
    cache: tokio::sync::Mutex<Option<Cached>>,
}

impl fmt::Debug for AssumeRoleCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRoleCredentials")
            .field("base", &self.base)
            .field("role_arn", &self.settings.role_arn)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl AssumeRoleCredentials {
    pub fn new(
        base: Arc<dyn CredentialsProvider>,
        settings: AssumeRoleSettings,
        sts_endpoint: &str,
    ) -> AssumeRoleCredentials {
        AssumeRoleCredentials {
            base,
            settings,
            endpoint: super::endpoints::with_scheme(sts_endpoint.trim_end_matches('/')),
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// The AssumeRole parameters besides the common ones.
    fn params(&self) -> Vec<(String, String)> {
        let s = &self.settings;
        let mut p = vec![
            ("RoleArn".to_string(), s.role_arn.clone()),
            (
                "RoleSessionName".to_string(),
                s.session_name
                    .clone()
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "terraform".to_string()),
            ),
            (
                "DurationSeconds".to_string(),
                s.session_expiration
                    .filter(|d| *d > 0)
                    .unwrap_or(3600)
                    .to_string(),
            ),
        ];
        if let Some(policy) = s.policy.clone().filter(|x| !x.is_empty()) {
            p.push(("Policy".to_string(), policy));
        }
        if let Some(ext) = s.external_id.clone().filter(|x| !x.is_empty()) {
            p.push(("ExternalId".to_string(), ext));
        }
        p
    }

    async fn fetch(&self) -> Result<Cached, ApiError> {
        const ACTION: &str = "AssumeRole";
        let base = self.base.credentials().await?;
        let nonce = super::client::new_nonce()?;
        let signed = sign::sign_v2(
            "POST",
            ACTION,
            "2015-04-01",
            &self.params(),
            &base,
            SystemTime::now(),
            &nonce,
        );
        let resp = http_client()?
            .post(format!("{}/", self.endpoint))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(super::client::form_encode(&signed))
            .send()
            .await
            .map_err(|e| transport(ACTION, e))?;
        let status = resp.status().as_u16();
        let body = resp.text().await.map_err(|e| transport(ACTION, e))?;
        if !(200..300).contains(&status) {
            return Err(error::parse_error_body(ACTION, status, &body));
        }
        let v: serde_json::Value = serde_json::from_str(&body).map_err(|_| {
            ApiError::local(
                ErrorKind::Other,
                ACTION,
                "CredentialsUnavailable",
                "STS answer is not JSON",
            )
        })?;
        temporary_keys(ACTION, &v["Credentials"])
    }
}

#[async_trait]
impl CredentialsProvider for AssumeRoleCredentials {
    async fn credentials(&self) -> Result<Credentials, ApiError> {
        Cached::get_or_fetch(&self.cache, self.fetch()).await
    }
}

#[cfg(test)]
mod tests;
