//! An AccessKey from the provider arguments or the environment: the first source of the chain.

use async_trait::async_trait;

use super::chain::{argument_or_env, Env};
use super::{Credentials, CredentialsProvider, Secret};
use crate::alicloud::error::ApiError;

/// `access_key`'s environment variables, in the official provider's order.
pub const ACCESS_KEY_ENV: &[&str] = &[
    "ALICLOUD_ACCESS_KEY",
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABACLOUD_ACCESS_KEY_ID",
    // Not read by the official provider; kept because earlier versions of this one read it.
    "ALICLOUD_ACCESS_KEY_ID",
];
/// `secret_key`'s environment variables, in the official provider's order.
pub const SECRET_KEY_ENV: &[&str] = &[
    "ALICLOUD_SECRET_KEY",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABACLOUD_ACCESS_KEY_SECRET",
    // Not read by the official provider; kept because earlier versions of this one read it.
    "ALICLOUD_ACCESS_KEY_SECRET",
];
/// `security_token`'s environment variables, in the official provider's order.
pub const SECURITY_TOKEN_ENV: &[&str] = &[
    "ALICLOUD_SECURITY_TOKEN",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALIBABACLOUD_SECURITY_TOKEN",
];

/// Credentials that never change.
#[derive(Debug)]
pub struct StaticCredentials(pub Credentials);

#[async_trait]
impl CredentialsProvider for StaticCredentials {
    async fn credentials(&self) -> Result<Credentials, ApiError> {
        Ok(self.0.clone())
    }
}

/// The keys given as arguments or in the environment: `Ok(None)` when neither half is set,
/// an `Err` with the one-line problem when only one half is.
pub fn from_arguments_or_env(
    access_key: Option<&str>,
    secret_key: Option<&Secret>,
    security_token: Option<&Secret>,
    env: Env,
) -> Result<Option<StaticCredentials>, String> {
    let id = argument_or_env(access_key, env, ACCESS_KEY_ENV);
    let secret = argument_or_env(secret_key.map(Secret::expose), env, SECRET_KEY_ENV);
    let token = argument_or_env(security_token.map(Secret::expose), env, SECURITY_TOKEN_ENV);
    match (id, secret) {
        (Some(access_key_id), Some(secret)) => Ok(Some(StaticCredentials(Credentials {
            access_key_id,
            access_key_secret: Secret::new(secret),
            security_token: token.map(Secret::new),
        }))),
        (Some(_), None) => Err("an access key is set but its secret key is not".to_string()),
        (None, Some(_)) => Err("a secret key is set but its access key is not".to_string()),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    /// Every name of the official provider is read, and its first name wins over the others.
    #[test]
    fn official_names_and_order() {
        let from_env = |vars: &'static [(&'static str, &'static str)]| {
            from_arguments_or_env(None, None, None, &env_of(vars))
                .unwrap()
                .unwrap()
                .0
        };
        let c = from_env(&[
            ("ALIBABACLOUD_ACCESS_KEY_ID", "third"),
            ("ALIBABACLOUD_ACCESS_KEY_SECRET", "s3"),
            ("ALIBABACLOUD_SECURITY_TOKEN", "t3"),
        ]);
        assert_eq!(c.access_key_id, "third");
        assert_eq!(c.security_token.as_ref().map(Secret::expose), Some("t3"));
        let c = from_env(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "second"),
            ("ALICLOUD_ACCESS_KEY", "first"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s"),
        ]);
        assert_eq!(c.access_key_id, "first");
    }

    /// Blank values count as unset, and a lone half is named as the problem.
    #[test]
    fn blank_and_half() {
        let env = env_of(&[("ALICLOUD_ACCESS_KEY", "  "), ("ALICLOUD_SECRET_KEY", "s")]);
        let e = from_arguments_or_env(None, None, None, &env).unwrap_err();
        assert_eq!(e, "a secret key is set but its access key is not");
        assert!(from_arguments_or_env(None, None, None, &env_of(&[]))
            .unwrap()
            .is_none());
    }
}
