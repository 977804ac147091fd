//! Reads the provider block into typed [`Settings`]: validation with a diagnostic per wrong
//! argument, environment fallbacks, and defaults.
//!
//! The environment is an argument (`env`), so tests need not touch the process environment.

use std::time::Duration;

use crate::alicloud::credentials::{AssumeRoleSettings, CredentialSettings};
use crate::alicloud::{Secret, SignatureVersion};
use crate::diagnostics::{self as diag, invalid_at, AttributePath, Diagnostics};
use crate::resources::ids::check_region;
use crate::resources::timeouts::duration_at;
use crate::tfvalue::Value;

pub const DEFAULT_MAX_RETRY_TIMEOUT: Duration = Duration::from_secs(300);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

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

/// Every string argument of the provider block, with its path (for the unknown check).
const STRING_ARGS: &[&str] = &[
    "region",
    "access_key",
    "secret_key",
    "security_token",
    "profile",
    "shared_credentials_file",
    "ecs_role_name",
    "signature_version",
    "max_retry_timeout",
    "connect_timeout",
    "read_timeout",
    "insecure",
];

/// Checks the formats of every known argument; unknown and null values pass.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diags = Vec::new();
    let known = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);

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
    for name in ["max_retry_timeout", "connect_timeout", "read_timeout"] {
        if let Err(d) = duration_at(config.get(name), AttributePath::attr(name)) {
            diags.push(d);
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
    if let Some(role) = config.get("assume_role").filter(|r| !r.is_null()) {
        if let Some(arn) = known(role.get("role_arn")) {
            if !is_role_arn(&arn) {
                diags.push(invalid_at(
                    AttributePath::attr("assume_role").then("role_arn"),
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
                    AttributePath::attr("assume_role").then("session_expiration"),
                    "The session lifetime is out of range.",
                    "Use a whole number of seconds from 900 to 43200.",
                ));
            }
        }
    }
    diags
}

/// Builds the [`Settings`]: validation, then the environment fallbacks and defaults. Warnings
/// (e.g. `insecure`) are returned beside the settings.
pub fn settings(
    config: &Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Settings, Diagnostics), Diagnostics> {
    let mut diags = validate(config);
    for name in STRING_ARGS {
        if config.get(name).is_some_and(Value::is_unknown) {
            diags.push(diag::unknown_provider_argument(name));
        }
    }
    for block in ["assume_role", "endpoints"] {
        if config.get(block).is_some_and(|b| !b.is_wholly_known()) {
            diags.push(diag::unknown_provider_argument(block));
        }
    }
    if diag::has_errors(&diags) {
        return Err(diags);
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let arg = |name: &str| text(config.get(name));
    let env_any = |names: &[&str]| names.iter().find_map(|n| env(n).filter(|v| !v.is_empty()));

    let region = match arg("region") {
        Some(r) => r,
        None => match env_any(&["ALIBABA_CLOUD_REGION", "ALICLOUD_REGION"]) {
            Some(r) => {
                if let Err(problem) = check_region(&r) {
                    return Err(vec![invalid_at(
                        AttributePath::attr("region"),
                        &format!("From the environment (ALIBABA_CLOUD_REGION / ALICLOUD_REGION): {problem}"),
                        "Fix the environment variable, or set `region` in the provider block.",
                    )]);
                }
                r
            }
            None => return Err(vec![diag::missing_region()]),
        },
    };

    let endpoints = config.get("endpoints");
    let endpoint = |p: &str| text(endpoints.and_then(|e| e.get(p)));
    let polardb_endpoint = endpoint("polardb");
    let polardbx_endpoint = endpoint("polardbx");
    let any_override = polardb_endpoint.is_some()
        || polardbx_endpoint.is_some()
        || env_any(&[
            "ALIBABA_CLOUD_ENDPOINT_POLARDB",
            "ALIBABA_CLOUD_ENDPOINT_POLARDBX",
        ])
        .is_some();
    if !any_override && !super::regions::is_known(&region) {
        return Err(vec![diag::unknown_region(&region)]);
    }

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
    let credentials = CredentialSettings {
        access_key: arg("access_key"),
        secret_key: arg("secret_key").map(Secret::new),
        security_token: arg("security_token").map(Secret::new),
        profile: arg("profile"),
        shared_credentials_file: arg("shared_credentials_file"),
        ecs_role_name: arg("ecs_role_name"),
        assume_role,
        sts_endpoint: endpoint("sts"),
        region: region.clone(),
    };
    let duration = |name: &str, default: Duration| {
        duration_at(config.get(name), AttributePath::attr(name))
            .ok()
            .flatten()
            .unwrap_or(default)
    };
    let insecure = config.bool_attr("insecure").unwrap_or(false);
    let mut warnings = Vec::new();
    if insecure {
        warnings.push(diag::insecure_warning());
    }
    let settings = Settings {
        region,
        credentials,
        signature: arg("signature_version")
            .and_then(|v| parse_signature(&v))
            .unwrap_or_default(),
        max_retry_timeout: duration("max_retry_timeout", DEFAULT_MAX_RETRY_TIMEOUT),
        connect_timeout: duration("connect_timeout", DEFAULT_CONNECT_TIMEOUT),
        read_timeout: duration("read_timeout", DEFAULT_READ_TIMEOUT),
        insecure,
        polardb_endpoint,
        polardbx_endpoint,
    };
    Ok((settings, warnings))
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
        let (s, warnings) = settings(&cfg, &env).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(s.region, "cn-shanghai");
        assert_eq!(s.credentials.region, "cn-shanghai");
        assert_eq!(s.signature, SignatureVersion::V3);
        assert_eq!(s.max_retry_timeout, DEFAULT_MAX_RETRY_TIMEOUT);
        assert!(!format!("{s:?}").contains("top-secret-value"));
    }

    /// No region anywhere gives the missing-region diagnostic.
    #[test]
    fn missing_region_is_an_error() {
        let err = settings(&config(&[]), &no_env).unwrap_err();
        assert_eq!(err.len(), 1);
        assert!(err[0].summary.contains("No region"));
    }

    /// A well-formed but unknown region is refused unless an endpoint is overridden.
    #[test]
    fn unknown_region_needs_endpoints() {
        let cfg = config(&[("region", Value::string("cn-hangzou"))]);
        let err = settings(&cfg, &no_env).unwrap_err();
        assert!(err[0].summary.contains("Unknown region"));
        let cfg = config(&[
            ("region", Value::string("xx-newregion-1")),
            block(
                "endpoints",
                &[("polardb", Value::string("http://127.0.0.1:1"))],
            ),
            ("insecure", Value::Bool(true)),
        ]);
        let (s, warnings) = settings(&cfg, &no_env).unwrap();
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
        let err = settings(&cfg, &no_env).unwrap_err();
        assert_eq!(err[0].attribute, Some(AttributePath::attr("access_key")));
    }
}
