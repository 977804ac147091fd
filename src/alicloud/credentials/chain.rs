//! The chain: which source gives the credentials, in the official provider's order
//! (aliyun/terraform-provider-alicloud, `alicloud/provider.go` `providerConfigure` and
//! `alicloud/connectivity/config.go` `RefreshAuthCredential`):
//!
//! 1. an AccessKey from the provider arguments, each falling back to its environment variables;
//! 2. the named profile of the Alibaba Cloud CLI (only when a profile is named);
//! 3. the ECS RAM role (`ecs_role_name`, `ALICLOUD_ECS_ROLE_NAME`, `ALIBABA_CLOUD_ECS_METADATA`);
//! 4. an OIDC role: the `assume_role_with_oidc` block, or (as credentials-go's default chain
//!    does, for Kubernetes RRSA) the three variables `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`,
//!    `ALIBABA_CLOUD_OIDC_TOKEN_FILE` and `ALIBABA_CLOUD_ROLE_ARN` together;
//!
//! then the `assume_role` block, if any, on top of whichever was found.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::assume_role::AssumeRoleCredentials;
use super::ecs_role::EcsRoleCredentials;
use super::oidc::{OidcRole, OidcRoleCredentials, OidcToken};
use super::{
    cli_profile, default_sts_endpoint, static_keys, AssumeRoleSettings, CredentialSettings,
    NoCredentials, OidcSettings, Secret, SharedProvider, DEFAULT_METADATA_ENDPOINT,
};

/// How the chain reads the environment (injected, so tests need not touch the process's).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

pub const PROFILE_ENV: &[&str] = &["ALICLOUD_PROFILE", "ALIBABA_CLOUD_PROFILE"];
pub const CREDENTIALS_FILE_ENV: &[&str] = &[
    "ALICLOUD_SHARED_CREDENTIALS_FILE",
    "ALIBABA_CLOUD_CREDENTIALS_FILE",
];
pub const ECS_ROLE_ENV: &[&str] = &["ALICLOUD_ECS_ROLE_NAME", "ALIBABA_CLOUD_ECS_METADATA"];
pub const ASSUME_ROLE_ARN_ENV: &[&str] = &["ALICLOUD_ASSUME_ROLE_ARN", "ALIBABA_CLOUD_ROLE_ARN"];
pub const ASSUME_ROLE_SESSION_ENV: &[&str] = &[
    "ALICLOUD_ASSUME_ROLE_SESSION_NAME",
    "ALIBABA_CLOUD_ROLE_SESSION_NAME",
];
pub const ASSUME_ROLE_EXPIRATION_ENV: &str = "ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION";
/// Not read by the official provider (which has only `endpoints.sts`); kept from earlier
/// versions of this one.
pub const STS_ENDPOINT_ENV: &[&str] = &["ALICLOUD_STS_ENDPOINT", "ALIBABA_CLOUD_STS_ENDPOINT"];
/// This provider's own: the metadata service's base URL, for tests.
pub const METADATA_ENDPOINT_ENV: &str = "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT";
pub const METADATA_DISABLED_ENV: &str = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";
pub const IMDSV1_DISABLED_ENV: &str = "ALIBABA_CLOUD_IMDSV1_DISABLED";
pub const OIDC_PROVIDER_ARN_ENV: &str = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
pub const OIDC_TOKEN_FILE_ENV: &str = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
pub const OIDC_TOKEN_ENV: &str = "ALIBABA_CLOUD_OIDC_TOKEN";
pub const ROLE_ARN_ENV: &str = "ALIBABA_CLOUD_ROLE_ARN";
pub const ROLE_SESSION_NAME_ENV: &str = "ALIBABA_CLOUD_ROLE_SESSION_NAME";

/// What the chain found: the source, and warnings for the user (e.g. a config file that other
/// users can read).
#[derive(Debug)]
pub struct Resolved {
    pub provider: SharedProvider,
    pub warnings: Vec<String>,
}

/// The first non-blank value of `names` in the environment, trimmed.
pub fn first_env(env: Env, names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|n| env(n))
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
}

/// A provider argument, trimmed, or else the first of the environment variables `names` that
/// is set and not blank: every argument with an environment fallback resolves this one way.
pub fn argument_or_env(argument: Option<&str>, env: Env, names: &[&str]) -> Option<String> {
    argument
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .or_else(|| first_env(env, names))
}

fn is_true(env: Env, name: &str) -> bool {
    env(name).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The named profile and the file it is read from; `None` when no profile is named.
fn named_profile(
    settings: &CredentialSettings,
    env: Env,
    home: Option<&Path>,
) -> Option<(String, Result<PathBuf, String>)> {
    let name = argument_or_env(settings.profile.as_deref(), env, PROFILE_ENV)?;
    let path = argument_or_env(
        settings.shared_credentials_file.as_deref(),
        env,
        CREDENTIALS_FILE_ENV,
    )
    .map(|p| expand_home(&p, home))
    .or_else(|| home.map(cli_profile::default_path))
    .ok_or_else(|| {
        format!(
            "profile {name:?} is set but there is no home directory or \
             shared_credentials_file to read it from"
        )
    });
    Some((name, path))
}

/// `~/x` against `home`, as the official provider expands `shared_credentials_file`.
fn expand_home(p: &str, home: Option<&Path>) -> PathBuf {
    match (p.strip_prefix("~/"), home) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => PathBuf::from(p),
    }
}

/// The `region_id` of the named CLI profile: the region's fallback after the argument and its
/// environment variables, as in the official provider. `None` when no profile is named or it
/// cannot be read (the chain then reports why).
pub fn profile_region(
    settings: &CredentialSettings,
    env: Env,
    home: Option<&Path>,
) -> Option<String> {
    let (name, path) = named_profile(settings, env, home)?;
    let loaded = cli_profile::load(&path.ok()?, &name).ok()?;
    Some(loaded.profile.region_id).filter(|r| !r.trim().is_empty())
}

/// Resolves the chain (see the module docs). `env` looks up environment variables and `home`
/// is the home directory (for `~/.aliyun/config.json`).
pub fn resolve(
    settings: &CredentialSettings,
    env: Env,
    home: Option<&Path>,
) -> Result<Resolved, NoCredentials> {
    let mut searched = Vec::new();
    let mut warnings = Vec::new();
    let fail = |searched: &Vec<String>, problem: Option<String>| NoCredentials {
        searched: searched.clone(),
        problem,
    };
    let sts_endpoint = argument_or_env(settings.sts_endpoint.as_deref(), env, STS_ENDPOINT_ENV)
        .unwrap_or_else(|| default_sts_endpoint(&settings.region));
    let metadata_endpoint = first_env(env, &[METADATA_ENDPOINT_ENV])
        .unwrap_or_else(|| DEFAULT_METADATA_ENDPOINT.to_string());
    let connect = settings.connect_timeout.unwrap_or(Duration::from_secs(10));

    // 1. Provider arguments, each with its environment fallback.
    searched.push("provider arguments access_key/secret_key".to_string());
    searched.push(
        "environment ALICLOUD_ACCESS_KEY/ALIBABA_CLOUD_ACCESS_KEY_ID and \
         ALICLOUD_SECRET_KEY/ALIBABA_CLOUD_ACCESS_KEY_SECRET"
            .to_string(),
    );
    let keys = static_keys::from_arguments_or_env(
        settings.access_key.as_deref(),
        settings.secret_key.as_ref(),
        settings.security_token.as_ref(),
        env,
    )
    .map_err(|problem| fail(&searched, Some(problem)))?;
    let mut base: Option<SharedProvider> = keys.map(|k| Arc::new(k) as SharedProvider);

    // 2. The named CLI profile.
    if base.is_none() {
        match named_profile(settings, env, home) {
            Some((name, path)) => {
                let path = path.map_err(|p| fail(&searched, Some(p)))?;
                searched.push(format!("profile {name} in {}", path.display()));
                let loaded =
                    cli_profile::load(&path, &name).map_err(|p| fail(&searched, Some(p)))?;
                warnings.extend(loaded.warnings);
                let p = loaded
                    .profile
                    .provider(&sts_endpoint, &metadata_endpoint)
                    .map_err(|p| fail(&searched, Some(p)))?;
                base = Some(p);
            }
            None => searched.push(
                "a CLI profile (none named by profile, ALICLOUD_PROFILE or ALIBABA_CLOUD_PROFILE)"
                    .to_string(),
            ),
        }
    }

    // 3. The ECS RAM role.
    if base.is_none() {
        searched.push("ECS RAM role ecs_role_name/ALICLOUD_ECS_ROLE_NAME".to_string());
        if let Some(role) = argument_or_env(settings.ecs_role_name.as_deref(), env, ECS_ROLE_ENV) {
            if is_true(env, METADATA_DISABLED_ENV) {
                return Err(fail(
                    &searched,
                    Some(format!(
                        "ECS RAM role {role:?} is set but {METADATA_DISABLED_ENV}=true disables \
                         the metadata service"
                    )),
                ));
            }
            let p = EcsRoleCredentials::new(&role, &metadata_endpoint)
                .token_required(is_true(env, IMDSV1_DISABLED_ENV));
            base = Some(Arc::new(p));
        }
    }

    // 4. An OIDC role.
    if base.is_none() {
        searched.push(format!(
            "OIDC role assume_role_with_oidc/{OIDC_PROVIDER_ARN_ENV}, {OIDC_TOKEN_FILE_ENV} and \
             {ROLE_ARN_ENV}"
        ));
        let role = oidc_role(settings.assume_role_with_oidc.as_ref(), env)
            .map_err(|p| fail(&searched, Some(p)))?;
        if let Some(role) = role {
            let p = OidcRoleCredentials::new(role, &sts_endpoint).connect_timeout(connect);
            base = Some(Arc::new(p));
        }
    }

    let Some(base) = base else {
        return Err(fail(&searched, None));
    };
    let provider = match assume_role_settings(settings.assume_role.as_ref(), env)
        .map_err(|p| fail(&searched, Some(p)))?
    {
        Some(ar) => {
            Arc::new(AssumeRoleCredentials::new(base, ar, &sts_endpoint).connect_timeout(connect))
                as SharedProvider
        }
        None => base,
    };
    Ok(Resolved { provider, warnings })
}

/// The `assume_role` block with its environment fallbacks. As in the official provider, the
/// environment alone never assumes a role: the block must be there.
fn assume_role_settings(
    block: Option<&AssumeRoleSettings>,
    env: Env,
) -> Result<Option<AssumeRoleSettings>, String> {
    let Some(block) = block else {
        return Ok(None);
    };
    let mut ar = block.clone();
    ar.role_arn = argument_or_env(Some(&ar.role_arn), env, ASSUME_ROLE_ARN_ENV).ok_or(
        "the assume_role block has no role_arn, and neither ALICLOUD_ASSUME_ROLE_ARN nor \
         ALIBABA_CLOUD_ROLE_ARN is set",
    )?;
    ar.session_name = argument_or_env(ar.session_name.as_deref(), env, ASSUME_ROLE_SESSION_ENV);
    if ar.session_expiration.is_none() {
        ar.session_expiration =
            first_env(env, &[ASSUME_ROLE_EXPIRATION_ENV]).and_then(|s| s.parse().ok());
    }
    Ok(Some(ar))
}

/// The OIDC role from the `assume_role_with_oidc` block (each argument falling back to its
/// variable), or from the environment alone when its three required variables are all set.
fn oidc_role(block: Option<&OidcSettings>, env: Env) -> Result<Option<OidcRole>, String> {
    let from_env = OidcSettings::default();
    let s = match block {
        Some(b) => b,
        None => {
            let all_set = [OIDC_PROVIDER_ARN_ENV, OIDC_TOKEN_FILE_ENV, ROLE_ARN_ENV]
                .iter()
                .all(|n| first_env(env, &[n]).is_some());
            if !all_set {
                return Ok(None);
            }
            &from_env
        }
    };
    let provider_arn = argument_or_env(
        s.oidc_provider_arn.as_deref(),
        env,
        &[OIDC_PROVIDER_ARN_ENV],
    )
    .ok_or_else(|| {
        format!(
            "assume_role_with_oidc has no oidc_provider_arn, and {OIDC_PROVIDER_ARN_ENV} is \
                 not set"
        )
    })?;
    let role_arn =
        argument_or_env(s.role_arn.as_deref(), env, &[ROLE_ARN_ENV]).ok_or_else(|| {
            format!("assume_role_with_oidc has no role_arn, and {ROLE_ARN_ENV} is not set")
        })?;
    // As the official provider: the token itself wins over the file.
    let token = match argument_or_env(
        s.oidc_token.as_ref().map(Secret::expose),
        env,
        &[OIDC_TOKEN_ENV],
    ) {
        Some(t) => OidcToken::Inline(Secret::new(t)),
        None => match argument_or_env(s.oidc_token_file.as_deref(), env, &[OIDC_TOKEN_FILE_ENV]) {
            Some(f) => OidcToken::File(PathBuf::from(f)),
            None => {
                return Err(format!(
                    "assume_role_with_oidc has neither oidc_token nor oidc_token_file, and \
                     neither {OIDC_TOKEN_ENV} nor {OIDC_TOKEN_FILE_ENV} is set"
                ))
            }
        },
    };
    Ok(Some(OidcRole {
        oidc_provider_arn: provider_arn,
        token,
        role_arn,
        role_session_name: argument_or_env(
            s.role_session_name.as_deref(),
            env,
            &[ROLE_SESSION_NAME_ENV],
        )
        .unwrap_or_else(|| super::assume_role::DEFAULT_SESSION_NAME.to_string()),
        policy: s.policy.clone().filter(|p| !p.trim().is_empty()),
        duration_seconds: s
            .session_expiration
            .filter(|d| *d > 0)
            .unwrap_or(super::assume_role::DEFAULT_SESSION_SECONDS),
    }))
}
