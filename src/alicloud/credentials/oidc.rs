//! Credentials from STS `AssumeRoleWithOIDC` (2015-04-01): a RAM role assumed with an OIDC
//! token, as Terraform running in a Kubernetes pod with RRSA does.
//!
//! The call is anonymous (no AccessKey, no signature), shaped as Alibaba's credentials library
//! sends it (aliyun/credentials-go, `credentials/providers/oidc.go`): `Action`, `Version`,
//! `Format` and `Timestamp` in the query; `RoleArn`, `OIDCProviderArn`, `OIDCToken`,
//! `RoleSessionName`, `DurationSeconds` and `Policy` in a form body. The token file is read
//! again at every refresh, since Kubernetes rotates the projected token.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::assume_role::{sts_exchange, sts_url};
use super::refresh::{Cache, Fetched, TemporarySource};
use super::Secret;
use crate::alicloud::error::{ApiError, ErrorKind};
use crate::alicloud::sign;
use crate::redact::debug_fields;
use crate::timefmt;

const ACTION: &str = "AssumeRoleWithOIDC";

/// Where the OIDC token comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum OidcToken {
    /// A file, read at each refresh (`oidc_token_file`, `ALIBABA_CLOUD_OIDC_TOKEN_FILE`).
    File(PathBuf),
    /// The token itself (`oidc_token`, `ALIBABA_CLOUD_OIDC_TOKEN`).
    Inline(Secret),
}

impl fmt::Debug for OidcToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OidcToken::File(p) => f.debug_tuple("File").field(p).finish(),
            OidcToken::Inline(s) => f.debug_tuple("Inline").field(s).finish(),
        }
    }
}

/// A complete AssumeRoleWithOIDC request (every default applied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcRole {
    pub oidc_provider_arn: String,
    pub token: OidcToken,
    pub role_arn: String,
    pub role_session_name: String,
    pub policy: Option<String>,
    /// Seconds.
    pub duration_seconds: i64,
}

/// Credentials of a RAM role assumed with an OIDC token.
pub struct OidcRoleCredentials {
    role: OidcRole,
    endpoint: String,
    connect_timeout: Duration,
    cache: Cache,
}

debug_fields!(OidcRoleCredentials { role, endpoint });

impl OidcRoleCredentials {
    pub fn new(role: OidcRole, sts_endpoint: &str) -> OidcRoleCredentials {
        OidcRoleCredentials {
            role,
            endpoint: sts_endpoint.to_string(),
            connect_timeout: Duration::from_secs(10),
            cache: Cache::default(),
        }
    }

    /// The connect timeout of STS calls (the provider's `connect_timeout`).
    pub fn connect_timeout(mut self, t: Duration) -> OidcRoleCredentials {
        self.connect_timeout = t;
        self
    }

    fn token(&self) -> Result<Secret, ApiError> {
        let token = match &self.role.token {
            OidcToken::Inline(t) => t.clone(),
            OidcToken::File(path) => match std::fs::read_to_string(path) {
                Ok(t) => Secret::new(t.trim()),
                Err(e) => {
                    return Err(ApiError::local(
                        ErrorKind::Auth,
                        ACTION,
                        "OIDCTokenUnreadable",
                        format!("cannot read the OIDC token file {}: {e}", path.display()),
                    ))
                }
            },
        };
        if token.expose().is_empty() {
            return Err(ApiError::local(
                ErrorKind::Auth,
                ACTION,
                "OIDCTokenEmpty",
                "the OIDC token is empty",
            ));
        }
        Ok(token)
    }
}

#[async_trait]
impl TemporarySource for OidcRoleCredentials {
    fn cache(&self) -> &Cache {
        &self.cache
    }

    async fn fetch(&self) -> Result<Fetched, ApiError> {
        let mut url = sts_url(ACTION, &self.endpoint)?;
        let token = self.token()?;
        let query = [
            ("Action", ACTION.to_string()),
            ("Version", "2015-04-01".to_string()),
            ("Format", "JSON".to_string()),
            ("Timestamp", timefmt::iso8601_seconds(SystemTime::now())),
        ];
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        url.set_query(Some(&sign::canonical_query(&query)));
        let r = &self.role;
        let mut form = vec![
            ("RoleArn".to_string(), r.role_arn.clone()),
            ("OIDCProviderArn".to_string(), r.oidc_provider_arn.clone()),
            ("OIDCToken".to_string(), token.expose().to_string()),
            ("RoleSessionName".to_string(), r.role_session_name.clone()),
            (
                "DurationSeconds".to_string(),
                r.duration_seconds.to_string(),
            ),
        ];
        if let Some(p) = r.policy.clone().filter(|p| !p.is_empty()) {
            form.push(("Policy".to_string(), p));
        }
        sts_exchange(ACTION, url, &form, self.connect_timeout).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::alicloud::credentials::tests::{self, temp_home};
    use crate::alicloud::credentials::CredentialsProvider;
    use crate::alicloud::test_server::{parse_pairs, Reply, Server};

    fn role(token: OidcToken) -> OidcRole {
        OidcRole {
            oidc_provider_arn: "acs:ram::1:oidc-provider/ack-rrsa".into(),
            token,
            role_arn: "acs:ram::1:role/backup".into(),
            role_session_name: "terraform".into(),
            policy: None,
            duration_seconds: 3600,
        }
    }

    /// STS's n-th answer: the first expires within the refresh margin, the later ones do not.
    fn sts_ok(n: usize) -> Reply {
        let minutes_valid = if n == 0 { 3 } else { 60 };
        tests::sts_ok(&format!("oidc-id-{n}"), minutes_valid)
    }

    /// The call is anonymous, with the query and form fields credentials-go sends.
    #[tokio::test]
    async fn request_shape() {
        let home = temp_home("oidc-shape");
        let file = home.join("token");
        std::fs::write(&file, "jwt-one\n").unwrap();
        let server = Server::start(Arc::new(|n, _| sts_ok(n + 1))).await;
        let p = OidcRoleCredentials::new(role(OidcToken::File(file)), &server.url);
        let c = p.credentials().await.expect("credentials");
        assert_eq!(c.access_key_id, "oidc-id-1");
        assert_eq!(
            c.security_token.as_ref().map(Secret::expose),
            Some("tmp-token")
        );
        let seen = server.seen();
        let target = seen[0].target();
        let (path, query) = target.split_once('?').expect("query");
        assert_eq!(path, "/");
        let query = parse_pairs(query);
        let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(q("Action"), Some("AssumeRoleWithOIDC"));
        assert_eq!(q("Version"), Some("2015-04-01"));
        assert_eq!(q("Format"), Some("JSON"));
        assert!(q("Timestamp").is_some_and(|t| t.ends_with('Z')));
        assert!(seen[0].head.starts_with("POST "));
        assert_eq!(seen[0].param("OIDCToken").as_deref(), Some("jwt-one"));
        assert_eq!(
            seen[0].param("OIDCProviderArn").as_deref(),
            Some("acs:ram::1:oidc-provider/ack-rrsa")
        );
        assert_eq!(
            seen[0].param("RoleArn").as_deref(),
            Some("acs:ram::1:role/backup")
        );
        assert_eq!(
            seen[0].param("RoleSessionName").as_deref(),
            Some("terraform")
        );
        assert_eq!(seen[0].param("DurationSeconds").as_deref(), Some("3600"));
        for anonymous in ["AccessKeyId", "Signature", "SignatureMethod"] {
            assert_eq!(seen[0].param(anonymous), None, "{anonymous}");
            assert!(!target.contains(anonymous), "{anonymous}");
        }
        assert!(!format!("{p:?}").contains("jwt-one"));
    }

    /// Debug of an inline token prints exactly the redaction marker.
    #[test]
    fn inline_token_debug() {
        let t = OidcToken::Inline(Secret::new("eyJ.secret"));
        assert_eq!(format!("{t:?}"), "Inline(Secret(\"***\"))");
    }

    /// The token file is read again at each refresh (Kubernetes rotates it).
    #[tokio::test]
    async fn token_file_is_reread() {
        let home = temp_home("oidc-rotate");
        let file = home.join("token");
        std::fs::write(&file, "jwt-old").unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let c2 = calls.clone();
        let server = Server::start(Arc::new(move |n, _| {
            c2.fetch_add(1, Ordering::SeqCst);
            sts_ok(n)
        }))
        .await;
        let p = OidcRoleCredentials::new(role(OidcToken::File(file.clone())), &server.url);
        // The first answer expires within the refresh margin, so the next call refreshes.
        p.credentials().await.expect("first");
        std::fs::write(&file, "jwt-new").unwrap();
        let c = p.credentials().await.expect("second");
        assert_eq!(c.access_key_id, "oidc-id-1");
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].param("OIDCToken").as_deref(), Some("jwt-old"));
        assert_eq!(seen[1].param("OIDCToken").as_deref(), Some("jwt-new"));
    }

    /// A missing token file is an error naming the file; STS is not called.
    #[tokio::test]
    async fn missing_token_file() {
        let server = Server::start(Arc::new(|n, _| sts_ok(n))).await;
        let p = OidcRoleCredentials::new(
            role(OidcToken::File("/nonexistent/oidc-token".into())),
            &server.url,
        );
        let e = p.credentials().await.expect_err("no file");
        assert!(
            e.message.contains("/nonexistent/oidc-token"),
            "{}",
            e.message
        );
        assert!(server.seen().is_empty());
    }

    /// An STS refusal keeps its code and RequestId.
    #[tokio::test]
    async fn sts_refusal() {
        let server = Server::start(Arc::new(|_, _| {
            Reply::Respond(
                400,
                vec![],
                r#"{"Code":"AuthenticationFail.OIDCToken.Expired","Message":"expired","RequestId":"R9"}"#
                    .into(),
            )
        }))
        .await;
        let p = OidcRoleCredentials::new(role(OidcToken::Inline(Secret::new("t"))), &server.url);
        let e = p.credentials().await.expect_err("refused");
        assert_eq!(e.code, "AuthenticationFail.OIDCToken.Expired");
        assert_eq!(e.request_id.as_deref(), Some("R9"));
    }

    /// STS over plain http to a host that is not loopback is refused before any request.
    #[tokio::test]
    async fn refuses_remote_plain_http() {
        let p = OidcRoleCredentials::new(
            role(OidcToken::Inline(Secret::new("t"))),
            "http://sts.aliyuncs.com",
        );
        let e = p.credentials().await.expect_err("refused");
        assert!(e.message.contains("plain http"), "{}", e.message);
    }
}
