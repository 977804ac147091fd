//! Credentials from STS `AssumeRole` (2015-04-01), signed V2 with a base provider's credentials:
//! the `assume_role` block, on top of whichever source the chain found.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::refresh::{self, Cache, Fetched, TemporarySource};
use super::{AssumeRoleSettings, CredentialsProvider};
use crate::alicloud::error::{self, ApiError, ErrorKind};
use crate::alicloud::{client, endpoints, sign};
use crate::redact::debug_fields;

/// Deadline of one STS exchange.
pub const STS_DEADLINE: Duration = Duration::from_secs(30);
/// The session name when none is given, as the official provider's.
pub const DEFAULT_SESSION_NAME: &str = "terraform";
/// The session lifetime when none is given (seconds), as the official provider's.
pub const DEFAULT_SESSION_SECONDS: i64 = 3600;

/// Credentials of a RAM role assumed with STS `AssumeRole`.
pub struct AssumeRoleCredentials {
    base: Arc<dyn CredentialsProvider>,
    settings: AssumeRoleSettings,
    endpoint: String,
    connect_timeout: Duration,
    cache: Cache,
}

debug_fields!(AssumeRoleCredentials {
    base,
    role_arn: settings.role_arn,
    endpoint
});

/// The STS URL for an endpoint given as a URL or a bare host, checked against the rules of
/// [`refresh::refuse_url`].
pub fn sts_url(action: &str, endpoint: &str) -> Result<url::Url, ApiError> {
    let full = endpoints::with_scheme(endpoint.trim().trim_end_matches('/'));
    let url = url::Url::parse(&format!("{full}/")).map_err(|e| {
        ApiError::local(
            ErrorKind::Other,
            action,
            "CredentialsUnavailable",
            format!("the STS endpoint {endpoint:?} is not a URL: {e}"),
        )
    })?;
    match refresh::refuse_url(&url) {
        Some(problem) => Err(ApiError::local(
            ErrorKind::Other,
            action,
            "CredentialsUnavailable",
            problem,
        )),
        None => Ok(url),
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
            endpoint: sts_endpoint.to_string(),
            connect_timeout: Duration::from_secs(10),
            cache: Cache::default(),
        }
    }

    /// The connect timeout of STS calls (the provider's `connect_timeout`).
    pub fn connect_timeout(mut self, t: Duration) -> AssumeRoleCredentials {
        self.connect_timeout = t;
        self
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
                    .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string()),
            ),
            (
                "DurationSeconds".to_string(),
                s.session_expiration
                    .filter(|d| *d > 0)
                    .unwrap_or(DEFAULT_SESSION_SECONDS)
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
}

/// One STS call: POSTs `form` to `url` and reads the temporary keys from the answer's
/// `Credentials`, which AssumeRole and AssumeRoleWithOIDC answer alike.
pub async fn sts_exchange(
    action: &str,
    url: url::Url,
    form: &[(String, String)],
    connect_timeout: Duration,
) -> Result<Fetched, ApiError> {
    let request = refresh::http_client(action, connect_timeout)?
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(client::form_encode(form));
    let answer = refresh::exchange(action, request, STS_DEADLINE).await?;
    if !(200..300).contains(&answer.status) {
        return Err(error::parse_error_body(action, answer.status, &answer.body));
    }
    let v = refresh::json_body(action, "STS", &answer.body)?;
    refresh::temporary_keys(action, &v["Credentials"])
}

#[async_trait]
impl TemporarySource for AssumeRoleCredentials {
    fn cache(&self) -> &Cache {
        &self.cache
    }

    async fn fetch(&self) -> Result<Fetched, ApiError> {
        const ACTION: &str = "AssumeRole";
        let url = sts_url(ACTION, &self.endpoint)?;
        // The base's own refresh (and its lock) finishes before this call starts.
        let base = self.base.credentials().await?;
        let nonce = client::new_nonce()?;
        let signed = sign::sign_v2(
            "POST",
            ACTION,
            "2015-04-01",
            &self.params(),
            &base,
            SystemTime::now(),
            &nonce,
        );
        sts_exchange(ACTION, url, &signed, self.connect_timeout).await
    }
}
