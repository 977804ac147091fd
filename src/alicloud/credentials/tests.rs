//! Credential chain tests: injected environment, a temporary HOME, and local stand-ins for the
//! metadata service and STS (never 100.100.100.200).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::*;
use crate::alicloud::error::ErrorKind;
use crate::alicloud::sign;
use crate::alicloud::test_server::{Reply, Seen, Server};
use crate::timefmt;

pub fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k: &str| map.get(k).cloned()
}

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TempHome(PathBuf);

impl Drop for TempHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for TempHome {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

pub fn temp_home(tag: &str) -> TempHome {
    let mut b = [0u8; 8];
    let _ = getrandom::fill(&mut b);
    let dir = std::env::temp_dir().join(format!(
        "alicloud-cred-{tag}-{}-{}",
        std::process::id(),
        u64::from_le_bytes(b)
    ));
    std::fs::create_dir_all(dir.join(".aliyun")).expect("mkdir");
    TempHome(dir)
}

pub fn write_config(home: &Path, json: &str) {
    std::fs::write(home.join(".aliyun").join("config.json"), json).expect("write config");
}

async fn creds_of(p: &Resolved) -> Credentials {
    p.provider.credentials().await.expect("credentials")
}

/// Debug of Secret and Credentials prints exactly the redaction marker, never the values.
#[test]
fn debug_redacts_exactly() {
    let c = Credentials {
        access_key_id: "AKID".into(),
        access_key_secret: Secret::new("s3cr3t"),
        security_token: Some(Secret::new("t0ken")),
    };
    assert_eq!(format!("{:?}", Secret::new("s3cr3t")), "Secret(\"***\")");
    assert_eq!(
        format!("{c:?}"),
        "Credentials { access_key_id: \"AKID\", access_key_secret: Secret(\"***\"), security_token: Some(Secret(\"***\")) }"
    );
    let settings = CredentialSettings {
        secret_key: Some(Secret::new("s3cr3t")),
        security_token: Some(Secret::new("t0ken")),
        assume_role_with_oidc: Some(OidcSettings {
            oidc_token: Some(Secret::new("j.w.t")),
            ..Default::default()
        }),
        ..Default::default()
    };
    let d = format!("{settings:?}");
    assert!(
        !d.contains("s3cr3t") && !d.contains("t0ken") && !d.contains("j.w.t"),
        "{d}"
    );
    assert!(d.contains("oidc_token: Some(Secret(\"***\"))"), "{d}");
    let provider = StaticCredentials(c);
    assert!(!format!("{provider:?}").contains("s3cr3t"));
}

/// Provider arguments beat the environment.
#[tokio::test]
async fn arguments_beat_environment() {
    let settings = CredentialSettings {
        access_key: Some("arg-id".into()),
        secret_key: Some(Secret::new("arg-secret")),
        ..Default::default()
    };
    let env = env_of(&[
        ("ALICLOUD_ACCESS_KEY", "env-id"),
        ("ALICLOUD_SECRET_KEY", "env-secret"),
    ]);
    let p = resolve(&settings, &env, None).expect("resolves");
    let c = creds_of(&p).await;
    assert_eq!(c.access_key_id, "arg-id");
    assert_eq!(c.access_key_secret.expose(), "arg-secret");
}

/// Both families of environment names work, with the token.
#[tokio::test]
async fn environment_names() {
    for (id, secret, token) in [
        (
            "ALICLOUD_ACCESS_KEY",
            "ALICLOUD_SECRET_KEY",
            "ALICLOUD_SECURITY_TOKEN",
        ),
        (
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            "ALIBABA_CLOUD_SECURITY_TOKEN",
        ),
    ] {
        let env = env_of(&[(id, "e-id"), (secret, "e-secret"), (token, "e-token")]);
        let p = resolve(&CredentialSettings::default(), &env, None).expect("resolves");
        let c = creds_of(&p).await;
        assert_eq!(c.access_key_id, "e-id", "{id}");
        assert_eq!(
            c.security_token.as_ref().map(Secret::expose),
            Some("e-token")
        );
    }
}

/// An access key without its secret is a problem, not a silent fallback.
#[test]
fn half_given_keys() {
    let settings = CredentialSettings {
        access_key: Some("only-id".into()),
        ..Default::default()
    };
    let e = resolve(&settings, &env_of(&[]), None).expect_err("refused");
    assert!(
        e.problem.as_deref().unwrap_or("").contains("secret key"),
        "{e:?}"
    );
    let e = resolve(
        &CredentialSettings::default(),
        &env_of(&[("ALICLOUD_SECRET_KEY", "x")]),
        None,
    )
    .expect_err("refused");
    assert!(e.problem.is_some());
}

/// Nothing anywhere: one error listing every place searched, without a problem.
#[test]
fn nothing_found_lists_sources() {
    let home = temp_home("none");
    let e = resolve(&CredentialSettings::default(), &env_of(&[]), Some(&home)).expect_err("none");
    assert_eq!(e.problem, None);
    assert_eq!(e.searched.len(), 5, "{:?}", e.searched);
    assert!(e.to_string().contains("ECS RAM role"), "{e}");
    assert!(e.to_string().contains("none named by profile"), "{e}");
    assert!(
        e.to_string().contains("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"),
        "{e}"
    );
}

/// Only a named profile is read (as the official provider): the CLI's current profile is
/// not; a named AK or StsToken profile is.
#[tokio::test]
async fn cli_profiles() {
    let home = temp_home("profiles");
    write_config(
        &home,
        r#"{"current":"main","profiles":[
            {"name":"main","mode":"AK","access_key_id":"p-id","access_key_secret":"p-secret","region_id":"cn-hangzhou"},
            {"name":"sts","mode":"StsToken","access_key_id":"s-id","access_key_secret":"s-secret","sts_token":"s-token"},
            {"name":"odd","mode":"ChainableRamRoleArn"}
        ]}"#,
    );
    let e = resolve(&CredentialSettings::default(), &env_of(&[]), Some(&home))
        .expect_err("the current profile is not used");
    assert_eq!(e.problem, None);
    for (variable, profile, id, token) in [
        ("ALIBABA_CLOUD_PROFILE", "main", "p-id", None),
        ("ALICLOUD_PROFILE", "sts", "s-id", Some("s-token")),
    ] {
        let env = env_of(&[(variable, profile)]);
        let p = resolve(&CredentialSettings::default(), &env, Some(&home)).expect(variable);
        let c = creds_of(&p).await;
        assert_eq!(c.access_key_id, id, "{variable}={profile}");
        let got = c.security_token.as_ref().map(Secret::expose);
        assert_eq!(got, token, "{variable}={profile}");
    }

    for (profile, problem) in [
        ("nope", "\"nope\" does not exist"),
        ("odd", "supported modes"),
    ] {
        let settings = CredentialSettings {
            profile: Some(profile.into()),
            ..Default::default()
        };
        let e = resolve(&settings, &env_of(&[]), Some(&home)).expect_err(profile);
        let said = e.problem.as_deref().unwrap_or("");
        assert!(said.contains(problem), "profile {profile}: {e:?}");
    }
}

/// A named profile with no config file at all is a problem.
#[test]
fn named_profile_without_file() {
    let home = temp_home("nofile");
    let settings = CredentialSettings {
        profile: Some("x".into()),
        ..Default::default()
    };
    let e = resolve(&settings, &env_of(&[]), Some(&home)).expect_err("no file");
    assert!(
        e.problem.as_deref().unwrap_or("").contains("cannot read"),
        "{e:?}"
    );
}

/// Asserts that `seen` is one hardened fetch from the ECS metadata service for `role`: the token
/// request with its TTL header, then the role's credentials request.
pub fn assert_hardened_fetch(seen: &[Seen], role: &str) {
    assert_eq!(seen.len(), 2, "the token, then the credentials: {seen:?}");
    assert_eq!(seen[0].target(), "/latest/api/token");
    assert_eq!(
        seen[0].header(ecs_role::TOKEN_TTL_HEADER).as_deref(),
        Some("21600"),
        "{}",
        seen[0].head
    );
    let credentials = format!("/latest/meta-data/ram/security-credentials/{role}");
    assert_eq!(seen[1].target(), credentials);
}

pub fn temp_creds_body(id: &str, minutes_valid: i64) -> String {
    let exp = timefmt::iso8601_seconds(timefmt::from_unix_secs(
        timefmt::unix_secs(SystemTime::now()) + minutes_valid * 60,
    ));
    format!(
        r#"{{"AccessKeyId":"{id}","AccessKeySecret":"tmp-secret","SecurityToken":"tmp-token","Expiration":"{exp}","Code":"Success"}}"#
    )
}

/// STS's answer with temporary keys for `id`, valid `minutes_valid` more minutes.
pub fn sts_ok(id: &str, minutes_valid: i64) -> Reply {
    Reply::Respond(
        200,
        vec![],
        format!(
            r#"{{"RequestId":"R","Credentials":{}}}"#,
            temp_creds_body(id, minutes_valid)
        ),
    )
}

/// The ECS role is fetched from the (overridden) metadata endpoint and cached.
#[tokio::test]
async fn ecs_role_from_metadata() {
    let server = Server::start(Arc::new(|_, _| {
        Reply::Respond(200, vec![], temp_creds_body("ecs-id", 60))
    }))
    .await;
    let env = env_of(&[
        ("ALICLOUD_ECS_ROLE_NAME", "my-role"),
        ("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", server.url.as_str()),
    ]);
    let home = temp_home("ecs");
    let p = resolve(&CredentialSettings::default(), &env, Some(&home)).expect("resolves");
    let c = creds_of(&p).await;
    assert_eq!(c.access_key_id, "ecs-id");
    assert_eq!(
        c.security_token.as_ref().map(Secret::expose),
        Some("tmp-token")
    );
    // The second call is served from the cache: still one fetch.
    let _ = creds_of(&p).await;
    assert_hardened_fetch(&server.seen(), "my-role");
}

/// Credentials expiring within five minutes are fetched again.
#[tokio::test]
async fn short_lived_credentials_are_refreshed() {
    let server = Server::start(Arc::new(|_, _| {
        Reply::Respond(200, vec![], temp_creds_body("ecs-id", 3))
    }))
    .await;
    let p = EcsRoleCredentials::new("r", &server.url);
    let _ = p.credentials().await.expect("first");
    let _ = p.credentials().await.expect("second");
    server.assert_requests(4, "each fetch: the token request, then the credentials");
}

/// AssumeRole is signed V2 with the base keys, sends the role settings, and is cached.
#[tokio::test]
async fn assume_role_via_sts() {
    let server = Server::start(Arc::new(|_, req| {
        let params = req.form();
        let expected = sign::signature_v2(
            "base-secret",
            &sign::string_to_sign_v2("POST", &sign::canonical_query(&params)),
        );
        if req.param("Signature").as_deref() != Some(expected.as_str()) {
            return Reply::Respond(
                400,
                vec![],
                r#"{"Code":"SignatureDoesNotMatch","Message":"m","RequestId":"R"}"#.into(),
            );
        }
        sts_ok("sts-id", 60)
    }))
    .await;
    let settings = CredentialSettings {
        access_key: Some("base-id".into()),
        secret_key: Some(Secret::new("base-secret")),
        assume_role: Some(AssumeRoleSettings {
            role_arn: "acs:ram::123:role/x".into(),
            session_name: Some("sess".into()),
            policy: None,
            session_expiration: Some(1800),
            external_id: Some("ext".into()),
        }),
        sts_endpoint: Some(server.url.clone()),
        ..Default::default()
    };
    let p = resolve(&settings, &env_of(&[]), None).expect("resolves");
    let c = creds_of(&p).await;
    assert_eq!(c.access_key_id, "sts-id");
    let _ = creds_of(&p).await;
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "cached");
    assert_eq!(
        seen[0].header("accept").as_deref(),
        Some("application/json")
    );
    assert_eq!(seen[0].param("Action").as_deref(), Some("AssumeRole"));
    assert_eq!(seen[0].param("Version").as_deref(), Some("2015-04-01"));
    assert_eq!(seen[0].param("RoleSessionName").as_deref(), Some("sess"));
    assert_eq!(seen[0].param("DurationSeconds").as_deref(), Some("1800"));
    assert_eq!(seen[0].param("ExternalId").as_deref(), Some("ext"));
    assert_eq!(seen[0].param("AccessKeyId").as_deref(), Some("base-id"));
    assert!(!format!("{:?}", p.provider).contains("base-secret"));
}

/// An STS refusal surfaces as a typed error with its code.
#[tokio::test]
async fn assume_role_refused() {
    let server = Server::start(Arc::new(|_, _| {
        Reply::Respond(
            403,
            vec![],
            r#"{"Code":"NoPermission","Message":"denied","RequestId":"R7"}"#.into(),
        )
    }))
    .await;
    let env = env_of(&[
        ("ALICLOUD_ACCESS_KEY", "id"),
        ("ALICLOUD_SECRET_KEY", "secret"),
        ("ALICLOUD_ASSUME_ROLE_ARN", "acs:ram::1:role/y"),
        ("ALICLOUD_STS_ENDPOINT", server.url.as_str()),
    ]);
    // The block, empty: its role_arn comes from the environment.
    let settings = CredentialSettings {
        assume_role: Some(AssumeRoleSettings::default()),
        ..Default::default()
    };
    let p = resolve(&settings, &env, None).expect("resolves");
    let e = p.provider.credentials().await.expect_err("refused");
    assert_eq!(e.kind, ErrorKind::Auth);
    assert_eq!(e.code, "NoPermission");
    assert_eq!(e.request_id.as_deref(), Some("R7"));
}

/// The environment alone never assumes a role (the official provider needs the block): with
/// keys and ALIBABA_CLOUD_ROLE_ARN only, the keys are used as they are.
#[tokio::test]
async fn role_arn_alone_assumes_nothing() {
    let env = env_of(&[
        ("ALICLOUD_ACCESS_KEY", "id"),
        ("ALICLOUD_SECRET_KEY", "secret"),
        ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/y"),
    ]);
    let p = resolve(&CredentialSettings::default(), &env, None).expect("resolves");
    assert!(format!("{:?}", p.provider).starts_with("StaticCredentials"));
    assert_eq!(creds_of(&p).await.access_key_id, "id");
}

/// An empty assume_role block with no role ARN anywhere is a problem that names both variables.
#[test]
fn assume_role_block_without_arn() {
    let settings = CredentialSettings {
        access_key: Some("id".into()),
        secret_key: Some(Secret::new("s")),
        assume_role: Some(AssumeRoleSettings::default()),
        ..Default::default()
    };
    let e = resolve(&settings, &env_of(&[]), None).expect_err("refused");
    let problem = e.problem.unwrap_or_default();
    assert!(problem.contains("ALIBABA_CLOUD_ROLE_ARN"), "{problem}");
}

/// Without an endpoint override, STS is the region's endpoint (sts.<region>.aliyuncs.com).
#[test]
fn sts_endpoint_of_the_region() {
    let settings = CredentialSettings {
        access_key: Some("id".into()),
        secret_key: Some(Secret::new("s")),
        assume_role: Some(AssumeRoleSettings {
            role_arn: "acs:ram::1:role/r".into(),
            ..Default::default()
        }),
        region: "ap-southeast-1".into(),
        ..Default::default()
    };
    let p = resolve(&settings, &env_of(&[]), None).expect("resolves");
    let d = format!("{:?}", p.provider);
    assert!(
        d.contains("endpoint: \"https://sts.ap-southeast-1.aliyuncs.com\""),
        "{d}"
    );
}

/// Kubernetes RRSA: the three variables alone give an OIDC role, which reaches the fake STS
/// anonymously; the session name comes from ALIBABA_CLOUD_ROLE_SESSION_NAME.
#[tokio::test]
async fn oidc_from_environment() {
    let home = temp_home("rrsa");
    let token = home.join("token");
    std::fs::write(&token, "eyJ.rrsa.jwt").expect("token");
    let server = Server::start(Arc::new(|_, _| sts_ok("rrsa-id", 60))).await;
    let env = env_of(&[
        (
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "acs:ram::1:oidc-provider/ack",
        ),
        ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", token.to_str().unwrap()),
        ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/pod"),
        ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "pod-session"),
        ("ALIBABA_CLOUD_STS_ENDPOINT", server.url.as_str()),
    ]);
    let p = resolve(&CredentialSettings::default(), &env, Some(&home)).expect("resolves");
    assert_eq!(creds_of(&p).await.access_key_id, "rrsa-id");
    let seen = server.seen();
    assert!(seen[0].target().contains("Action=AssumeRoleWithOIDC"));
    assert_eq!(
        seen[0].param("RoleSessionName").as_deref(),
        Some("pod-session")
    );
    assert_eq!(seen[0].param("OIDCToken").as_deref(), Some("eyJ.rrsa.jwt"));
}

/// An assume_role_with_oidc block without a token anywhere names both the arguments and the
/// variables; two of the three RRSA variables alone do nothing.
#[test]
fn oidc_block_without_token() {
    let settings = CredentialSettings {
        assume_role_with_oidc: Some(OidcSettings {
            oidc_provider_arn: Some("acs:ram::1:oidc-provider/p".into()),
            role_arn: Some("acs:ram::1:role/r".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let e = resolve(&settings, &env_of(&[]), None).expect_err("no token");
    let problem = e.problem.unwrap_or_default();
    assert!(problem.contains("oidc_token_file"), "{problem}");
    assert!(
        problem.contains("ALIBABA_CLOUD_OIDC_TOKEN_FILE"),
        "{problem}"
    );
    let env = env_of(&[
        (
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "acs:ram::1:oidc-provider/ack",
        ),
        ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/pod"),
    ]);
    let e = resolve(&CredentialSettings::default(), &env, None).expect_err("not enough");
    assert_eq!(e.problem, None);
}

/// ALIBABA_CLOUD_ECS_METADATA_DISABLED=true makes a configured ECS role a problem, not a call.
#[test]
fn ecs_metadata_disabled() {
    let env = env_of(&[
        ("ALIBABA_CLOUD_ECS_METADATA", "role"),
        ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
    ]);
    let e = resolve(&CredentialSettings::default(), &env, None).expect_err("disabled");
    assert!(e
        .problem
        .unwrap_or_default()
        .contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED"),);
}

/// ALIBABA_CLOUD_CREDENTIALS_FILE names the CLI config; a group-readable one gives a warning.
#[cfg(unix)]
#[tokio::test]
async fn credentials_file_variable_and_warning() {
    use std::os::unix::fs::PermissionsExt;
    let home = temp_home("credfile");
    let path = home.join("elsewhere.json");
    std::fs::write(
        &path,
        r#"{"profiles":[{"name":"ci","mode":"AK","access_key_id":"f-id","access_key_secret":"f-s"}]}"#,
    )
    .expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let env = env_of(&[
        ("ALIBABA_CLOUD_CREDENTIALS_FILE", path.to_str().unwrap()),
        ("ALICLOUD_PROFILE", "ci"),
    ]);
    let p = resolve(&CredentialSettings::default(), &env, Some(&home)).expect("resolves");
    assert_eq!(creds_of(&p).await.access_key_id, "f-id");
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
}

/// What a secret's drop does: its own buffer (same address, same length) is overwritten
/// with zeros.
#[test]
fn secret_buffer_is_zeroed() {
    let mut s = String::from("zeroize-me");
    let (ptr, len) = (s.as_ptr(), s.len());
    wipe(&mut s);
    assert_eq!(s.as_ptr(), ptr, "the same buffer");
    assert_eq!(s.as_bytes(), vec![0u8; len].as_slice());
}
