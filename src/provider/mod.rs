//! The provider block: its schema, validation, and configuration into API clients.
//!
//! - `schema`: the block's arguments and nested blocks.
//! - [`settings`]: reading the block into typed settings with environment fallbacks.
//! - [`regions`]: the one region check for every host built from a region, and the known
//!   regions, to refuse a misspelt one before any call.

pub mod regions;
mod schema;
pub mod settings;

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use crate::alicloud::client::{ClientConfig, Product};
use crate::alicloud::{credentials, endpoints, ApiError, Client};
use crate::diagnostics::{self as diag, Diagnostics};
use crate::schema::Schema;
use crate::tfvalue::Value;

pub use settings::Settings;

/// What `ConfigureProvider` produces and every resource call uses.
#[derive(Debug)]
pub struct ProviderData {
    /// The provider's region (`region`, or `ALIBABA_CLOUD_REGION` / `ALICLOUD_REGION`).
    pub region: String,
    pub polardb: Client,
    pub polardbx: Client,
    /// The PolarDB-X endpoint override (block or environment), used for every region; `None`
    /// means each region's public endpoint.
    pub polardbx_endpoint: Option<String>,
    /// What resource code remembers for this configured provider (the plan-time checks'
    /// listings, the claims of creates that recover from lost answers): one per configured
    /// provider, so that each Terraform command (each ConfigureProvider) starts afresh, also
    /// when one `--debug` process serves many commands.
    pub extensions: Extensions,
}

/// State that code above the provider keeps per configured provider, one value per type, each
/// owned and typed by the code that uses it (this layer knows none of them).
#[derive(Default)]
pub struct Extensions(Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>);

impl Extensions {
    /// The `T` of this provider, made with `Default` on first use.
    pub fn get<T: Any + Send + Sync + Default>(&self) -> Arc<T> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let value = map
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()))
            .clone();
        // Each value is stored under its own type, so the downcast cannot fail.
        value.downcast::<T>().unwrap_or_default()
    }
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Extensions")
    }
}

impl ProviderData {
    /// A PolarDB-X client for `region` (a resource's `region_id` may differ from the provider's).
    // `ApiError` is the crate's one error type for API work; callers map it to a diagnostic.
    #[allow(clippy::result_large_err)]
    pub fn polardbx_in(&self, region: &str) -> Result<Client, ApiError> {
        if region == self.region {
            return Ok(self.polardbx.clone());
        }
        // The region becomes part of a host name: nothing but a region ID may get there.
        if let Err(problem) = regions::check_region(region) {
            return Err(ApiError::local(
                crate::alicloud::ErrorKind::InvalidInput,
                "",
                "InvalidRegionId",
                problem,
            ));
        }
        let mut config = self.polardbx.config().clone();
        config.region = region.to_string();
        config.endpoint = match &self.polardbx_endpoint {
            Some(e) => e.clone(),
            None => endpoints::resolve(Product::Polardbx, region, None, &|_| None),
        };
        Ok(Client::new(config)?.sharing_http_with(&self.polardbx))
    }
}

/// The provider block's schema.
pub fn schema() -> Schema {
    schema::schema()
}

/// Checks the provider block without calling any API. Unknown values pass.
pub fn validate(config: &Value) -> Diagnostics {
    settings::validate(config)
}

/// Builds the API clients from the provider block, the environment and the credentials chain.
/// Warnings come back alongside the data.
pub async fn configure(config: &Value) -> Result<(ProviderData, Diagnostics), Diagnostics> {
    let env = |k: &str| std::env::var(k).ok();
    configure_with(config, &env, home_dir().as_deref())
}

/// The home directory holding `.aliyun/config.json`, where the Alibaba Cloud CLI (a Go program,
/// `os.UserHomeDir`) looks: `HOME` on Unix, `USERPROFILE` on Windows, where `HOME` is usually
/// unset.
fn home_dir() -> Option<PathBuf> {
    let key = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(key)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// [`configure`] with the environment and home directory given (for tests).
pub fn configure_with(
    config: &Value,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&std::path::Path>,
) -> Result<(ProviderData, Diagnostics), Diagnostics> {
    let (s, mut warnings) = settings::settings(config, env, home)?;
    let resolved = credentials::resolve(&s.credentials, env, home)
        .map_err(|e| vec![diag::no_credentials(&e)])?;
    warnings.extend(
        resolved.warnings.iter().map(|w| {
            diag::Diagnostic::warning("Credentials file readable by other users", w.clone())
        }),
    );
    let creds = resolved.provider;
    let endpoint_env = |k: &str| endpoint_env(env, k);
    let client_for = |product: Product, configured: Option<&str>| {
        Client::new(ClientConfig {
            product,
            region: s.region.clone(),
            endpoint: endpoints::resolve(product, &s.region, configured, &endpoint_env),
            signature: s.signature,
            credentials: creds.clone(),
            max_retry_timeout: s.max_retry_timeout,
            connect_timeout: s.connect_timeout,
            read_timeout: s.read_timeout,
            insecure_skip_verify: s.insecure,
            user_agent: format!("terraform-provider-alicloud/{}", env!("CARGO_PKG_VERSION")),
        })
        .map_err(|e| vec![diag::api_error("set up the API client", &e)])
    };
    let polardb = client_for(Product::Polardb, s.polardb_endpoint.as_deref())?;
    // One HTTP client (built on the first call) for both products.
    let polardbx =
        client_for(Product::Polardbx, s.polardbx_endpoint.as_deref())?.sharing_http_with(&polardb);
    let polardbx_endpoint = s
        .polardbx_endpoint
        .clone()
        .or_else(|| endpoint_env(endpoints::env_var(Product::Polardbx)));
    tracing::debug!(
        region = s.region.as_str(),
        polardb = polardb.config().endpoint.as_str(),
        polardbx = polardbx.config().endpoint.as_str(),
        "provider configured"
    );
    let data = ProviderData {
        region: s.region,
        polardb,
        polardbx,
        polardbx_endpoint,
        extensions: Extensions::default(),
    };
    Ok((data, warnings))
}

/// An endpoint variable of the environment (`ALIBABA_CLOUD_ENDPOINT_<PRODUCT>`), else its
/// legacy form `<PRODUCT>_ENDPOINT`, which the official provider still reads after it
/// (`alicloud/connectivity/endpoint.go`, `loadEndpoint`). Blank values count as unset.
pub fn endpoint_env(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    let set = |n: &str| {
        env(n)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    set(name).or_else(|| {
        let product = name.strip_prefix("ALIBABA_CLOUD_ENDPOINT_")?;
        set(&format!("{product}_ENDPOINT"))
    })
}

/// Test helper: the provider configured from the block `pairs` with the keys `AK` / `SK`
/// added, without environment or home directory.
#[cfg(test)]
pub(crate) fn configured(pairs: &[(&str, Value)]) -> ProviderData {
    let mut all = vec![
        ("access_key", Value::string("AK")),
        ("secret_key", Value::string("SK")),
    ];
    all.extend(pairs.iter().cloned());
    let (data, _) = configure_with(&schema().config_with(&all), &|_| None, None)
        .expect("a test configuration configures");
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys in the block and an endpoint override configure both clients; nothing leaks.
    #[test]
    fn configures_clients_with_overrides() {
        let cfg = schema().config_with(&[
            ("region", Value::string("cn-hangzhou")),
            ("access_key", Value::string("AKID")),
            ("secret_key", Value::string("s3cr3t-never-shown")),
            (
                "endpoints",
                schema().nested_config_with(
                    "endpoints",
                    &[
                        ("polardb", Value::string("http://127.0.0.1:9")),
                        ("polardbx", Value::string("http://127.0.0.1:9")),
                    ],
                ),
            ),
        ]);
        let (data, warnings) = configure_with(&cfg, &|_| None, None).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(data.region, "cn-hangzhou");
        assert_eq!(data.polardb.config().endpoint, "http://127.0.0.1:9");
        assert_eq!(data.polardbx.config().product, Product::Polardbx);
        let other = data.polardbx_in("cn-beijing").unwrap();
        assert_eq!(other.config().region, "cn-beijing");
        assert_eq!(other.config().endpoint, "http://127.0.0.1:9");
        assert!(!format!("{data:?}").contains("s3cr3t-never-shown"));
        assert_eq!(*data.extensions.get::<u32>(), 0);
    }

    /// The legacy `<PRODUCT>_ENDPOINT` variables are read after `ALIBABA_CLOUD_ENDPOINT_*`,
    /// for the clients and for other regions' PolarDB-X clients.
    #[test]
    fn legacy_endpoint_variables() {
        let env = |k: &str| match k {
            "POLARDB_ENDPOINT" => Some("http://127.0.0.1:7".to_string()),
            "POLARDBX_ENDPOINT" => Some("http://127.0.0.1:8".to_string()),
            "ALIBABA_CLOUD_ENDPOINT_POLARDBX" => Some("http://127.0.0.1:9".to_string()),
            "ALICLOUD_ACCESS_KEY" => Some("id".to_string()),
            "ALICLOUD_SECRET_KEY" => Some("s".to_string()),
            _ => None,
        };
        let cfg = schema().config_with(&[("region", Value::string("cn-hangzhou"))]);
        let (data, _) = configure_with(&cfg, &env, None).unwrap();
        assert_eq!(data.polardb.config().endpoint, "http://127.0.0.1:7");
        assert_eq!(data.polardbx.config().endpoint, "http://127.0.0.1:9");
        assert_eq!(
            data.polardbx_endpoint.as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(
            endpoint_env(&env, "ALIBABA_CLOUD_ENDPOINT_POLARDB").as_deref(),
            Some("http://127.0.0.1:7")
        );
    }

    /// A region that is not a region ID never reaches a host name, whatever its source.
    #[test]
    fn other_region_is_checked() {
        let data = configured(&[("region", Value::string("cn-hangzhou"))]);
        for bad in ["evil.com/x", "cn-hangzhou.attacker.net", "cn-beijing:443"] {
            let e = data.polardbx_in(bad).expect_err(bad);
            assert_eq!(e.code, "InvalidRegionId");
        }
        assert!(data.polardbx_in("cn-beijing").is_ok());
    }

    /// No credentials anywhere gives one diagnostic saying where the provider looked.
    #[test]
    fn no_credentials_is_one_diagnostic() {
        let cfg = schema().config_with(&[("region", Value::string("cn-hangzhou"))]);
        let err = configure_with(&cfg, &|_| None, None).unwrap_err();
        assert_eq!(err.len(), 1);
        assert!(err[0].summary.contains("credentials"));
        assert!(err[0].detail.contains("looked"));
    }
}
