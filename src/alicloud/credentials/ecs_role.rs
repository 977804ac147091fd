//! Credentials of an ECS instance's RAM role, from the instance metadata service, in the
//! hardened mode of Alibaba's credentials library (aliyun/credentials-go,
//! `credentials/providers/ecs_role.go`): first `PUT /latest/api/token` with
//! `X-aliyun-ecs-metadata-token-ttl-seconds`, then the role's credentials with the token in
//! `X-aliyun-ecs-metadata-token`. When the token cannot be had, the request goes without it
//! (normal mode), unless `ALIBABA_CLOUD_IMDSV1_DISABLED=true`, which makes that an error.

use std::time::Duration;

use async_trait::async_trait;

use super::refresh::{self, Cache, Fetched, TemporarySource};
use super::Secret;
use crate::alicloud::error::{ApiError, ErrorKind};
use crate::alicloud::sign;
use crate::redact::debug_fields;

/// The metadata token's lifetime asked for, as credentials-go asks (6 hours).
pub const TOKEN_TTL_SECONDS: u32 = 21_600;
/// The header that asks for a token's lifetime.
pub const TOKEN_TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
/// The header that carries the token.
pub const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";
/// Connect timeout of the metadata service (it is on the instance's own link; credentials-go
/// allows 1 s).
const CONNECT: Duration = Duration::from_secs(1);
/// Deadline of the token request: a service without hardened mode may never answer it, and
/// the fallback should not wait long for that.
const TOKEN_DEADLINE: Duration = Duration::from_secs(2);
/// Deadline of the credentials request.
const DEADLINE: Duration = Duration::from_secs(5);
const WHAT: &str = "ECS metadata";

/// Credentials of an ECS instance's RAM role.
pub struct EcsRoleCredentials {
    role: String,
    endpoint: String,
    /// `ALIBABA_CLOUD_IMDSV1_DISABLED=true`: the token is required.
    token_required: bool,
    /// Deadlines of the token and the credentials requests.
    deadlines: (Duration, Duration),
    cache: Cache,
}

debug_fields!(EcsRoleCredentials {
    role,
    endpoint,
    token_required
});

impl EcsRoleCredentials {
    pub fn new(role: &str, metadata_endpoint: &str) -> EcsRoleCredentials {
        EcsRoleCredentials {
            role: role.to_string(),
            endpoint: metadata_endpoint.trim_end_matches('/').to_string(),
            token_required: false,
            deadlines: (TOKEN_DEADLINE, DEADLINE),
            cache: Cache::default(),
        }
    }

    /// Refuse to go on without a metadata token (`ALIBABA_CLOUD_IMDSV1_DISABLED=true`).
    pub fn token_required(mut self, required: bool) -> EcsRoleCredentials {
        self.token_required = required;
        self
    }

    fn url(&self, path: &str) -> Result<url::Url, ApiError> {
        let url = url::Url::parse(&format!("{}{path}", self.endpoint)).map_err(|e| {
            ApiError::local(
                ErrorKind::Other,
                WHAT,
                "CredentialsUnavailable",
                format!(
                    "the metadata endpoint {:?} is not a URL: {e}",
                    self.endpoint
                ),
            )
        })?;
        if let Some(problem) = refresh::refuse_url(&url) {
            return Err(ApiError::local(
                ErrorKind::Other,
                WHAT,
                "CredentialsUnavailable",
                problem,
            ));
        }
        Ok(url)
    }

    /// The metadata token, `None` when the service gives none and normal mode is allowed.
    async fn token(&self, http: &reqwest::Client) -> Result<Option<Secret>, ApiError> {
        let request = http
            .put(self.url("/latest/api/token")?)
            .header(TOKEN_TTL_HEADER, TOKEN_TTL_SECONDS.to_string());
        let problem = match refresh::exchange(WHAT, request, self.deadlines.0).await {
            Ok(a) if a.status == 200 && !a.body.trim().is_empty() => {
                return Ok(Some(Secret::new(a.body.trim())))
            }
            Ok(a) => format!(
                "the metadata service answered {} to the token request",
                a.status
            ),
            Err(e) => e.message,
        };
        if self.token_required {
            return Err(ApiError::local(
                ErrorKind::Auth,
                WHAT,
                "MetadataTokenUnavailable",
                format!(
                    "ECS RAM role {:?}: no metadata token ({problem}), and \
                     ALIBABA_CLOUD_IMDSV1_DISABLED=true forbids going on without one",
                    self.role
                ),
            ));
        }
        tracing::debug!(problem, "no ECS metadata token; using normal mode");
        Ok(None)
    }

    /// The error for a non-200 answer: what the status means and what to do.
    fn refused(&self, status: u16) -> ApiError {
        let (message, fix) = match status {
            404 => (
                format!(
                    "the metadata service answered 404 for ECS RAM role {:?}: no RAM role is \
                     attached to this instance, or the role name is wrong",
                    self.role
                ),
                "Attach the RAM role to the instance (ECS console, Instance > Attach RAM Role), \
                 or set `ecs_role_name` to the name of the role that is attached.",
            ),
            401 | 403 => (
                format!(
                    "the metadata service answered {status} for ECS RAM role {:?}: it refused \
                     the request (the instance may require a metadata token)",
                    self.role
                ),
                "Check the instance's metadata access mode, and that nothing between Terraform \
                 and 100.100.100.200 rewrites the request.",
            ),
            _ => (
                format!(
                    "the metadata service answered {status} for ECS RAM role {:?}",
                    self.role
                ),
                "Apply again; if it persists, check the instance's metadata service.",
            ),
        };
        let mut e = ApiError::local(ErrorKind::Auth, WHAT, "MetadataRefused", message);
        e.http_status = Some(status);
        e.recommend = Some(fix.to_string());
        e
    }
}

#[async_trait]
impl TemporarySource for EcsRoleCredentials {
    fn cache(&self) -> &Cache {
        &self.cache
    }

    async fn fetch(&self) -> Result<Fetched, ApiError> {
        let http = refresh::http_client(WHAT, CONNECT)?;
        let token = self.token(&http).await?;
        let path = format!(
            "/latest/meta-data/ram/security-credentials/{}",
            sign::percent_encode(&self.role)
        );
        let mut request = http.get(self.url(&path)?);
        if let Some(t) = &token {
            request = request.header(TOKEN_HEADER, t.expose());
        }
        let answer = refresh::exchange(WHAT, request, self.deadlines.1).await?;
        if answer.status != 200 {
            return Err(self.refused(answer.status));
        }
        let v = refresh::json_body(WHAT, "metadata", &answer.body)?;
        if let Some(code) = v.get("Code").and_then(|c| c.as_str()) {
            if code != "Success" {
                return Err(ApiError::local(
                    ErrorKind::Auth,
                    WHAT,
                    code,
                    format!(
                        "ECS RAM role {:?}: the metadata service answered Code {code:?}",
                        self.role
                    ),
                ));
            }
        }
        refresh::temporary_keys(WHAT, &v)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::alicloud::credentials::tests::{assert_hardened_fetch, temp_creds_body};
    use crate::alicloud::credentials::CredentialsProvider;
    use crate::alicloud::test_server::{Reply, Server};

    /// Hardened mode: a PUT for the token with its TTL header, then the GET carries the token.
    #[tokio::test]
    async fn token_then_credentials() {
        let server = Server::start(Arc::new(|_, req| {
            if req.head.starts_with("PUT /latest/api/token") {
                Reply::Respond(200, vec![], "tok-123".into())
            } else if req.header(TOKEN_HEADER).as_deref() == Some("tok-123") {
                Reply::Respond(200, vec![], temp_creds_body("ecs-id", 60))
            } else {
                Reply::Respond(401, vec![], String::new())
            }
        }))
        .await;
        let p = EcsRoleCredentials::new("my-role", &server.url);
        let c = p.credentials().await.expect("credentials");
        assert_eq!(c.access_key_id, "ecs-id");
        assert_hardened_fetch(&server.seen(), "my-role");
    }

    /// No token (the service answers 404 to the PUT): normal mode, the GET goes without one.
    #[tokio::test]
    async fn falls_back_without_token() {
        let server = Server::start(Arc::new(|_, req| {
            if req.head.starts_with("PUT ") {
                Reply::Respond(404, vec![], String::new())
            } else {
                Reply::Respond(200, vec![], temp_creds_body("v1-id", 60))
            }
        }))
        .await;
        let p = EcsRoleCredentials::new("r", &server.url);
        assert_eq!(p.credentials().await.unwrap().access_key_id, "v1-id");
        let seen = server.seen();
        assert_eq!(seen[1].header(TOKEN_HEADER), None);
    }

    /// With normal mode disabled, a missing token is an error that names the variable.
    #[tokio::test]
    async fn token_required_refuses_fallback() {
        let server =
            Server::start(Arc::new(|_, _| Reply::Respond(403, vec![], String::new()))).await;
        let p = EcsRoleCredentials::new("r", &server.url).token_required(true);
        let e = p.credentials().await.expect_err("refused");
        assert!(
            e.message.contains("ALIBABA_CLOUD_IMDSV1_DISABLED"),
            "{}",
            e.message
        );
        server.assert_requests(1, "no credentials request without a token");
    }

    /// A 404 for the role says what it means and what to do, and carries the HTTP status.
    #[tokio::test]
    async fn role_not_found_explains() {
        let server = Server::start(Arc::new(|_, req| {
            if req.head.starts_with("PUT ") {
                Reply::Respond(200, vec![], "t".into())
            } else {
                Reply::Respond(404, vec![], "Not Found".into())
            }
        }))
        .await;
        let p = EcsRoleCredentials::new("wrong-role", &server.url);
        let e = p.credentials().await.expect_err("404");
        assert_eq!(e.http_status, Some(404));
        assert!(
            e.message.contains("no RAM role is attached"),
            "{}",
            e.message
        );
        assert!(e
            .recommend
            .as_deref()
            .unwrap_or("")
            .contains("ecs_role_name"));
        let d = crate::diagnostics::api_error("read the backup", &e);
        assert!(
            !d.detail.contains("no response reached the provider"),
            "{}",
            d.detail
        );
    }

    /// A metadata service that never answers: the token request gives up at its deadline and
    /// falls back, the credentials request gives up at its own, and the error says so. The
    /// whole fetch is bounded by the two deadlines (measured here with 200 ms and 300 ms).
    #[tokio::test]
    async fn hanging_service_is_bounded() {
        let server = Server::start(Arc::new(|_, _| Reply::Hang)).await;
        let mut p = EcsRoleCredentials::new("r", &server.url);
        p.deadlines = (Duration::from_millis(200), Duration::from_millis(300));
        let started = std::time::Instant::now();
        let e = p.credentials().await.expect_err("hangs");
        let took = started.elapsed();
        assert!(e.message.contains("no complete answer"), "{}", e.message);
        server.assert_requests(2, "token, then credentials without it");
        assert!(took < Duration::from_secs(20), "took {took:?}");
    }

    /// A plain-http metadata endpoint that is not loopback or 100.100.100.200 is refused
    /// before any request.
    #[tokio::test]
    async fn refuses_remote_plain_http() {
        let p = EcsRoleCredentials::new("r", "http://169.254.0.1:1");
        let e = p.credentials().await.expect_err("refused");
        assert!(e.message.contains("plain http"), "{}", e.message);
    }
}
