//! Reads the provider block into typed [`Settings`]: validation with a diagnostic per wrong
//! argument, environment fallbacks, and defaults.
//!
//! The environment is an argument (`env`), so tests need not touch the process environment.

use std::path::Path;
use std::time::Duration;

use super::regions::check_region;
use crate::alicloud::client::Product;
use crate::alicloud::credentials::{self, AssumeRoleSettings, CredentialSettings, OidcSettings};
use crate::alicloud::{endpoints, Secret, SignatureVersion};
use crate::diagnostics::{self as diag, invalid_at, AttributePath, Diagnostic, Diagnostics};
use crate::duration::{duration_at, parse_duration};
use crate::tfvalue::Value;

pub const DEFAULT_MAX_RETRY_TIMEOUT: Duration = Duration::from_secs(300);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The region when none is set anywhere, as the official provider's `DEFAULT_REGION`.
pub const DEFAULT_REGION: &str = "cn-beijing";
/// `region`'s environment variables, in the official provider's order.
pub const REGION_ENV: &[&str] = &["ALICLOUD_REGION", "ALIBABA_CLOUD_REGION"];
pub const MAX_RETRY_TIMEOUT_ENV: &str = "MAX_RETRY_TIMEOUT";
pub const SKIP_REGION_VALIDATION_ENV: &str = "ALICLOUD_SKIP_REGION_VALIDATION";
pub const CLIENT_READ_TIMEOUT_ENV: &str = "CLIENT_READ_TIMEOUT";
pub const CLIENT_CONNECT_TIMEOUT_ENV: &str = "CLIENT_CONNECT_TIMEOUT";

/// The provider block, checked and completed (no secrets in `Debug`: they are [`Secret`]s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub region: String,
    pub credentials: CredentialSettings,
    pub signature: SignatureVersion,
    pub max_retry_timeout: Duration,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub insecure: bool,
    /// `endpoints.polardb` as configured (the environment override is applied later).
    pub polardb_endpoint: Option<String>,
    pub polardbx_endpoint: Option<String>,
}

/// Checks the formats of every known argument; unknown and null values pass.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diags = Vec::new();
    if let Some(region) = known(config.get("region")) {
        if let Err(problem) = check_region(&region) {
            diags.push(invalid_at(
                AttributePath::attr("region"),
                &problem,
                "Set `region` to a region ID such as \"cn-hangzhou\".",
            ));
        }
    }
    for name in [
        "access_key",
        "secret_key",
        "security_token",
        "profile",
        "shared_credentials_file",
        "ecs_role_name",
    ] {
        if known(config.get(name)).is_some_and(|v| v.trim().is_empty()) {
            diags.push(invalid_at(
                AttributePath::attr(name),
                &format!("`{name}` is empty."),
                &format!(
                    "Give `{name}` a value, or remove it to use the environment or the default."
                ),
            ));
        }
    }
    if let Some(v) = known(config.get("signature_version")) {
        if parse_signature(&v).is_none() {
            diags.push(invalid_at(
                AttributePath::attr("signature_version"),
                &format!("\"{v}\" is not a signature version."),
                "Use \"v2\" (HMAC-SHA1, the default) or \"v3\" (ACS3-HMAC-SHA256).",
            ));
        }
    }
    if let Err(d) = retry_timeout_at(config.get("max_retry_timeout")) {
        diags.push(d);
    }
    for name in ["connect_timeout", "read_timeout"] {
        if let Err(d) = duration_at(config.get(name), AttributePath::attr(name)) {
            diags.push(d);
        }
    }
    for name in ["client_read_timeout", "client_connect_timeout"] {
        if let Some(v) = config.get(name).filter(|v| !v.is_null() && !v.is_unknown()) {
            if !v
                .as_i64()
                .is_some_and(|ms| ms > 0 && ms <= 7 * 24 * 3_600_000)
            {
                diags.push(invalid_at(
                    AttributePath::attr(name),
                    &format!("`{name}` must be a positive whole number of milliseconds."),
                    &format!("Set `{name}` to e.g. 60000, or remove it to use the default."),
                ));
            }
        }
    }
    if let Some(endpoints) = config.get("endpoints") {
        for product in ["polardb", "polardbx", "sts"] {
            if let Some(url) = known(endpoints.get(product)) {
                if let Err(problem) = check_endpoint(&url) {
                    diags.push(invalid_at(
                        AttributePath::attr("endpoints").then(product),
                        &problem,
                        "Use an http or https URL such as \"https://polardb.aliyuncs.com\" or \
                         \"http://127.0.0.1:8080\" (plain http only for a local emulator).",
                    ));
                }
            }
        }
    }
    if let Some(role) = config.get("assume_role_with_oidc").filter(|r| !r.is_null()) {
        check_role("assume_role_with_oidc", role, &mut diags);
        if let Some(arn) = known(role.get("oidc_provider_arn")) {
            if !arn.starts_with("acs:ram::") || !arn.contains(":oidc-provider/") {
                diags.push(invalid_at(
                    AttributePath::attr("assume_role_with_oidc").then("oidc_provider_arn"),
                    &format!("\"{arn}\" is not an OIDC provider ARN."),
                    "Use the form \"acs:ram::<account id>:oidc-provider/<provider name>\".",
                ));
            }
        }
    }
    if let Some(role) = config.get("assume_role").filter(|r| !r.is_null()) {
        check_role("assume_role", role, &mut diags);
    }
    diags
}

/// A known string value.
fn known(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

/// What both role blocks (`block`: `assume_role` or `assume_role_with_oidc`) check alike: a
/// known `role_arn` is a RAM role ARN, a known `session_expiration` is in range.
fn check_role(block: &str, role: &Value, diags: &mut Diagnostics) {
    let at = |name: &str| AttributePath::attr(block).then(name);
    if let Some(arn) = known(role.get("role_arn")) {
        if !is_role_arn(&arn) {
            diags.push(invalid_at(
                at("role_arn"),
                &format!("\"{arn}\" is not a RAM role ARN."),
                "Use the form \"acs:ram::<account id>:role/<role name>\".",
            ));
        }
    }
    if let Some(v) = role
        .get("session_expiration")
        .filter(|v| !v.is_null() && !v.is_unknown())
    {
        if !v.as_i64().is_some_and(|s| (900..=43_200).contains(&s)) {
            diags.push(invalid_at(
                at("session_expiration"),
                "The session lifetime is out of range.",
                "Use a whole number of seconds from 900 to 43200.",
            ));
        }
    }
}

/// `max_retry_timeout`: a whole number of seconds, as the official provider's (TypeInt) takes
/// it, or a duration such as `"5m"`. `Ok(None)` when null, unknown or 0 (the default).
fn retry_timeout_at(value: Option<&Value>) -> Result<Option<Duration>, Diagnostic> {
    match value {
        Some(Value::String(s)) => parse_retry_timeout(s).map_err(|problem| {
            diag::invalid_duration(AttributePath::attr("max_retry_timeout"), &problem)
        }),
        _ => Ok(None),
    }
}

/// See [`retry_timeout_at`]; also reads `MAX_RETRY_TIMEOUT`.
fn parse_retry_timeout(s: &str) -> Result<Option<Duration>, String> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return match t.parse::<u64>() {
            Ok(0) => Ok(None),
            Ok(secs) if secs <= 7 * 24 * 3600 => Ok(Some(Duration::from_secs(secs))),
            _ => Err(format!("\"{s}\" seconds is longer than 7 days")),
        };
    }
    parse_duration(s).map(Some)
}

/// Builds the [`Settings`]: validation, then the environment fallbacks and defaults. Warnings
/// (e.g. `insecure`, the default region) are returned beside the settings. `home` is where the
/// named CLI profile's file is, whose `region_id` is the region's fallback.
pub fn settings(
    config: &Value,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<(Settings, Diagnostics), Diagnostics> {
    let mut diags = validate(config);
    // Every argument and block of the schema must be known to configure.
    let block = super::schema::schema().block;
    let names =
        (block.attributes.iter().map(|a| &a.name)).chain(block.blocks.iter().map(|b| &b.type_name));
    for name in names {
        if config.get(name).is_some_and(|v| !v.is_wholly_known()) {
            diags.push(diag::unknown_provider_argument(name));
        }
    }
    if diag::has_errors(&diags) {
        return Err(diags);
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let arg = |name: &str| text(config.get(name));
    let env_any = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| env(n).filter(|v| !v.trim().is_empty()))
    };
    let mut warnings = Vec::new();

    let assume_role =
        config
            .get("assume_role")
            .filter(|r| !r.is_null())
            .map(|r| AssumeRoleSettings {
                role_arn: text(r.get("role_arn")).unwrap_or_default(),
                session_name: text(r.get("session_name")),
                policy: text(r.get("policy")),
                session_expiration: r.get("session_expiration").and_then(Value::as_i64),
                external_id: text(r.get("external_id")),
            });
    let assume_role_with_oidc = config
        .get("assume_role_with_oidc")
        .filter(|r| !r.is_null())
        .map(|r| OidcSettings {
            oidc_provider_arn: text(r.get("oidc_provider_arn")),
            oidc_token_file: text(r.get("oidc_token_file")),
            oidc_token: text(r.get("oidc_token")).map(Secret::new),
            role_arn: text(r.get("role_arn")),
            role_session_name: text(r.get("role_session_name")),
            policy: text(r.get("policy")),
            session_expiration: r.get("session_expiration").and_then(Value::as_i64),
        });
    let endpoints = config.get("endpoints");
    let endpoint = |p: &str| text(endpoints.and_then(|e| e.get(p)));
    let mut credentials = CredentialSettings {
        access_key: arg("access_key"),
        secret_key: arg("secret_key").map(Secret::new),
        security_token: arg("security_token").map(Secret::new),
        profile: arg("profile"),
        shared_credentials_file: arg("shared_credentials_file"),
        ecs_role_name: arg("ecs_role_name"),
        assume_role,
        assume_role_with_oidc,
        sts_endpoint: endpoint("sts"),
        region: String::new(),
        connect_timeout: None,
    };

    // The region: argument, its variables, the named CLI profile's region_id, the default.
    let (region, source) = match arg("region") {
        Some(r) => (r, None),
        None => match env_any(REGION_ENV) {
            Some(r) => (
                r.trim().to_string(),
                Some("the environment (ALICLOUD_REGION / ALIBABA_CLOUD_REGION)"),
            ),
            None => match credentials::chain::profile_region(&credentials, env, home) {
                Some(r) => (r.trim().to_string(), Some("the CLI profile's region_id")),
                None => {
                    warnings.push(default_region_warning());
                    (DEFAULT_REGION.to_string(), None)
                }
            },
        },
    };
    if let (Some(source), Err(problem)) = (source, check_region(&region)) {
        return Err(vec![invalid_at(
            AttributePath::attr("region"),
            &format!("From {source}: {problem}"),
            "Fix that value, or set `region` in the provider block.",
        )]);
    }

    let polardb_endpoint = endpoint("polardb");
    let polardbx_endpoint = endpoint("polardbx");
    let any_override = polardb_endpoint.is_some()
        || polardbx_endpoint.is_some()
        || [Product::Polardb, Product::Polardbx]
            .into_iter()
            .any(|p| super::endpoint_env(env, endpoints::env_var(p)).is_some());
    let skip_region_validation = config
        .bool_attr("skip_region_validation")
        .or_else(|| env_any(&[SKIP_REGION_VALIDATION_ENV]).map(|v| v.trim() == "true"))
        .unwrap_or(false);
    if !any_override && !skip_region_validation && !super::regions::is_known(&region) {
        return Err(vec![diag::unknown_region(&region)]);
    }

    let duration = |name: &str, default: Duration| {
        duration_at(config.get(name), AttributePath::attr(name))
            .ok()
            .flatten()
            .unwrap_or(default)
    };
    // The official provider's millisecond timeouts, when ours are not set.
    let millis = |name: &str, env_name: &str| {
        config
            .get(name)
            .and_then(Value::as_i64)
            .or_else(|| env_any(&[env_name]).and_then(|v| v.trim().parse().ok()))
            .filter(|ms| *ms > 0 && *ms <= 7 * 24 * 3_600_000)
            .map(|ms| Duration::from_millis(ms as u64))
    };
    let connect_default = millis("client_connect_timeout", CLIENT_CONNECT_TIMEOUT_ENV)
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let read_default =
        millis("client_read_timeout", CLIENT_READ_TIMEOUT_ENV).unwrap_or(DEFAULT_READ_TIMEOUT);
    let max_retry_timeout = match retry_timeout_at(config.get("max_retry_timeout")) {
        Ok(Some(d)) => d,
        _ => match env_any(&[MAX_RETRY_TIMEOUT_ENV]).map(|v| parse_retry_timeout(&v)) {
            Some(Ok(Some(d))) => d,
            Some(Err(problem)) => {
                return Err(vec![invalid_at(
                    AttributePath::attr("max_retry_timeout"),
                    &format!("From the environment (MAX_RETRY_TIMEOUT): {problem}."),
                    "Set MAX_RETRY_TIMEOUT to a whole number of seconds such as 300, or unset it.",
                )])
            }
            _ => DEFAULT_MAX_RETRY_TIMEOUT,
        },
    };
    let connect_timeout = duration("connect_timeout", connect_default);
    credentials.region = region.clone();
    credentials.connect_timeout = Some(connect_timeout);
    let insecure = config.bool_attr("insecure").unwrap_or(false);
    if insecure {
        warnings.push(diag::insecure_warning());
    }
    let settings = Settings {
        region,
        credentials,
        signature: arg("signature_version")
            .and_then(|v| parse_signature(&v))
            .unwrap_or_default(),
        max_retry_timeout,
        connect_timeout,
        read_timeout: duration("read_timeout", read_default),
        insecure,
        polardb_endpoint,
        polardbx_endpoint,
    };
    Ok((settings, warnings))
}

/// No region anywhere: the official provider's default region is used, with this warning.
fn default_region_warning() -> Diagnostic {
    Diagnostic::warning(
        format!("No region configured; using {DEFAULT_REGION}"),
        format!(
            "Neither `region`, ALICLOUD_REGION, ALIBABA_CLOUD_REGION nor a CLI profile's \
             region_id is set, so the provider uses {DEFAULT_REGION}, as the official alicloud \
             provider does. Set `region` in the provider block to the region of your clusters."
        ),
    )
    .at(AttributePath::attr("region"))
}

fn parse_signature(v: &str) -> Option<SignatureVersion> {
    match v {
        "v2" => Some(SignatureVersion::V2),
        "v3" => Some(SignatureVersion::V3),
        _ => None,
    }
}

/// An endpoint: an http(s) URL with a host and nothing after the path, or a bare host name
/// (which gets `https://`).
fn check_endpoint(s: &str) -> Result<(), String> {
    let full = if s.contains("://") {
        s.to_string()
    } else {
        format!("https://{s}")
    };
    let url = url::Url::parse(&full).map_err(|e| format!("\"{s}\" is not a URL: {e}."))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!(
            "\"{s}\" uses the scheme \"{}\"; only http and https are supported.",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("\"{s}\" has no host."));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!(
            "\"{s}\" carries a query, fragment or user name; give only scheme, host and port."
        ));
    }
    Ok(())
}

fn is_role_arn(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix("acs:ram::") else {
        return false;
    };
    let Some((account, role)) = rest.split_once(":role/") else {
        return false;
    };
    !account.is_empty() && account.bytes().all(|b| b.is_ascii_digit()) && !role.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, Value)]) -> Value {
        super::super::schema::schema().config_with(pairs)
    }

    /// The nested block `name` with only `pairs` set, as a `(name, value)` pair for `config`.
    fn block<'a>(name: &'a str, pairs: &[(&str, Value)]) -> (&'a str, Value) {
        (
            name,
            super::super::schema::schema().nested_config_with(name, pairs),
        )
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    /// Each malformed argument gives an error at its own path, and only there.
    #[test]
    fn validate_names_each_attribute() {
        let cases: Vec<(Value, AttributePath)> = vec![
            (
                config(&[("region", Value::string("Hangzhou"))]),
                AttributePath::attr("region"),
            ),
            (
                config(&[("signature_version", Value::string("v4"))]),
                AttributePath::attr("signature_version"),
            ),
            (
                config(&[("max_retry_timeout", Value::string("5 minutes"))]),
                AttributePath::attr("max_retry_timeout"),
            ),
            (
                config(&[("read_timeout", Value::string("0s"))]),
                AttributePath::attr("read_timeout"),
            ),
            (
                config(&[("access_key", Value::string(""))]),
                AttributePath::attr("access_key"),
            ),
            (
                config(&[block("endpoints", &[("polardb", Value::string("ftp://x"))])]),
                AttributePath::attr("endpoints").then("polardb"),
            ),
            (
                config(&[block(
                    "endpoints",
                    &[("polardbx", Value::string("http://"))],
                )]),
                AttributePath::attr("endpoints").then("polardbx"),
            ),
            (
                config(&[block(
                    "assume_role",
                    &[("role_arn", Value::string("role/x"))],
                )]),
                AttributePath::attr("assume_role").then("role_arn"),
            ),
            (
                config(&[block(
                    "assume_role",
                    &[
                        ("role_arn", Value::string("acs:ram::123:role/r")),
                        ("session_expiration", Value::int(60)),
                    ],
                )]),
                AttributePath::attr("assume_role").then("session_expiration"),
            ),
        ];
        for (cfg, path) in cases {
            let diags = validate(&cfg);
            assert_eq!(diags.len(), 1, "{path}: {diags:?}");
            assert_eq!(diags[0].attribute.as_ref(), Some(&path));
            assert!(diags[0].is_error());
        }
    }

    /// Unknown values pass validation.
    #[test]
    fn unknowns_pass_validation() {
        let cfg = config(&[
            ("region", Value::Unknown),
            ("signature_version", Value::Unknown),
            ("max_retry_timeout", Value::Unknown),
        ]);
        assert!(validate(&cfg).is_empty());
    }

    /// A good configuration yields the settings, with defaults, the region from the
    /// environment, and no secret in Debug output.
    #[test]
    fn settings_with_env_region_and_defaults() {
        let cfg = config(&[
            ("access_key", Value::string("AKID")),
            ("secret_key", Value::string("top-secret-value")),
            ("signature_version", Value::string("v3")),
        ]);
        let env = |k: &str| (k == "ALICLOUD_REGION").then(|| "cn-shanghai".to_string());
        let (s, warnings) = settings(&cfg, &env, None).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(s.region, "cn-shanghai");
        assert_eq!(s.credentials.region, "cn-shanghai");
        assert_eq!(s.signature, SignatureVersion::V3);
        assert_eq!(s.max_retry_timeout, DEFAULT_MAX_RETRY_TIMEOUT);
        assert!(!format!("{s:?}").contains("top-secret-value"));
    }

    /// No region anywhere: the official provider's default region, with a warning that says so.
    #[test]
    fn missing_region_defaults_with_warning() {
        let (s, warnings) = settings(&config(&[]), &no_env, None).unwrap();
        assert_eq!(s.region, "cn-beijing");
        assert_eq!(warnings.len(), 1);
        assert!(!warnings[0].is_error());
        assert!(
            warnings[0].summary.contains("cn-beijing"),
            "{}",
            warnings[0].summary
        );
    }

    /// The region's order: argument, ALICLOUD_REGION, ALIBABA_CLOUD_REGION, the named
    /// profile's region_id; a malformed value from the environment names its source.
    #[test]
    fn region_precedence() {
        let both = |k: &str| match k {
            "ALICLOUD_REGION" => Some("cn-shanghai".to_string()),
            "ALIBABA_CLOUD_REGION" => Some("cn-beijing".to_string()),
            _ => None,
        };
        let (s, _) = settings(&config(&[]), &both, None).unwrap();
        assert_eq!(s.region, "cn-shanghai");
        let cfg = config(&[("region", Value::string("cn-hangzhou"))]);
        assert_eq!(settings(&cfg, &both, None).unwrap().0.region, "cn-hangzhou");

        let home = std::env::temp_dir().join(format!("alicloud-region-{}", std::process::id()));
        std::fs::create_dir_all(home.join(".aliyun")).unwrap();
        std::fs::write(
            home.join(".aliyun/config.json"),
            r#"{"profiles":[{"name":"p","mode":"AK","access_key_id":"i","access_key_secret":"s","region_id":"ap-southeast-1"}]}"#,
        )
        .unwrap();
        let named = |k: &str| (k == "ALIBABA_CLOUD_PROFILE").then(|| "p".to_string());
        let (s, warnings) = settings(&config(&[]), &named, Some(&home)).unwrap();
        let _ = std::fs::remove_dir_all(&home);
        assert_eq!(s.region, "ap-southeast-1");
        assert!(warnings.is_empty());

        let bad =
            |k: &str| (k == "ALIBABA_CLOUD_REGION").then(|| "cn-hangzhou.evil.com".to_string());
        let err = settings(&config(&[]), &bad, None).unwrap_err();
        assert_eq!(err[0].attribute, Some(AttributePath::attr("region")));
        assert!(err[0].detail.contains("environment"), "{}", err[0].detail);
    }

    /// `max_retry_timeout` copied from the official provider (an integer, seconds) works, as
    /// does a duration; 0 is the default; MAX_RETRY_TIMEOUT is read when the argument is unset.
    #[test]
    fn max_retry_timeout_forms() {
        let base = ("region", Value::string("cn-hangzhou"));
        for (v, want) in [("60", 60), ("5m", 300), ("0", 300), ("1h30m", 5400)] {
            let cfg = config(&[base.clone(), ("max_retry_timeout", Value::string(v))]);
            let (s, _) = settings(&cfg, &no_env, None).unwrap();
            assert_eq!(s.max_retry_timeout, Duration::from_secs(want), "{v}");
        }
        let env = |k: &str| (k == "MAX_RETRY_TIMEOUT").then(|| "120".to_string());
        let (s, _) = settings(&config(std::slice::from_ref(&base)), &env, None).unwrap();
        assert_eq!(s.max_retry_timeout, Duration::from_secs(120));
        let cfg = config(&[base, ("max_retry_timeout", Value::string("-5"))]);
        let err = validate(&cfg);
        assert_eq!(
            err[0].attribute,
            Some(AttributePath::attr("max_retry_timeout"))
        );
    }

    /// The official provider's millisecond timeouts and skip_region_validation are honoured.
    #[test]
    fn official_compatibility_arguments() {
        let cfg = config(&[
            ("region", Value::string("xx-newregion-1")),
            ("skip_region_validation", Value::Bool(true)),
            ("client_read_timeout", Value::int(30000)),
            ("client_connect_timeout", Value::int(5000)),
            ("configuration_source", Value::string("team/backups")),
        ]);
        let (s, _) = settings(&cfg, &no_env, None).unwrap();
        assert_eq!(s.read_timeout, Duration::from_secs(30));
        assert_eq!(s.connect_timeout, Duration::from_secs(5));
        assert_eq!(s.credentials.connect_timeout, Some(Duration::from_secs(5)));
        let cfg = config(&[("client_read_timeout", Value::int(-1))]);
        assert_eq!(
            validate(&cfg)[0].attribute,
            Some(AttributePath::attr("client_read_timeout"))
        );
    }

    /// A well-formed but unknown region is refused unless an endpoint is overridden.
    #[test]
    fn unknown_region_needs_endpoints() {
        let cfg = config(&[("region", Value::string("cn-hangzou"))]);
        let err = settings(&cfg, &no_env, None).unwrap_err();
        assert!(err[0].summary.contains("Unknown region"));
        let cfg = config(&[
            ("region", Value::string("xx-newregion-1")),
            block(
                "endpoints",
                &[("polardb", Value::string("http://127.0.0.1:1"))],
            ),
            ("insecure", Value::Bool(true)),
        ]);
        let (s, warnings) = settings(&cfg, &no_env, None).unwrap();
        assert_eq!(s.polardb_endpoint.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(warnings.len(), 1);
        assert!(!warnings[0].is_error());
    }

    /// An unknown argument at configure time is an error naming it, not a silent default.
    #[test]
    fn unknown_at_configure_is_named() {
        let cfg = config(&[
            ("region", Value::string("cn-hangzhou")),
            ("access_key", Value::Unknown),
        ]);
        let err = settings(&cfg, &no_env, None).unwrap_err();
        assert_eq!(err[0].attribute, Some(AttributePath::attr("access_key")));
    }
}
