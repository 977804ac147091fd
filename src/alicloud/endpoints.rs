//! Default endpoints per product and region, and their overrides.
//!
//! The region lists are the `_endpoint_map` entries that the official SDKs (PyPI
//! `alibabacloud_polardb20170801` and `alibabacloud_polardbx20200202`, and their PHP/Go twins)
//! send to the product's central host; every other region uses `<product>.<region>.aliyuncs.com`,
//! which is the SDKs' "regional" endpoint rule.

use super::client::Product;

/// Regions both SDKs map to the product's central host (`polardb.aliyuncs.com`,
/// `polardbx.aliyuncs.com`).
pub const CENTRAL_REGIONS_BOTH: &[&str] = &[
    "ap-northeast-2-pop",
    "cn-beijing-finance-1",
    "cn-beijing-finance-pop",
    "cn-beijing-gov-1",
    "cn-beijing-nu16-b01",
    "cn-edge-1",
    "cn-fujian",
    "cn-haidian-cm12-c01",
    "cn-hangzhou-bj-b01",
    "cn-hangzhou-finance",
    "cn-hangzhou-internal-prod-1",
    "cn-hangzhou-internal-test-1",
    "cn-hangzhou-internal-test-2",
    "cn-hangzhou-internal-test-3",
    "cn-hangzhou-test-306",
    "cn-hongkong-finance-pop",
    "cn-huhehaote-nebula-1",
    "cn-qingdao-nebula",
    "cn-shanghai-et15-b01",
    "cn-shanghai-et2-b01",
    "cn-shanghai-inner",
    "cn-shanghai-internal-test-1",
    "cn-shenzhen-inner",
    "cn-shenzhen-st4-d01",
    "cn-shenzhen-su18-b01",
    "cn-wuhan",
    "cn-wulanchabu",
    "cn-yushanfang",
    "cn-zhangbei",
    "cn-zhangbei-na61-b01",
    "cn-zhangjiakou-na62-a01",
    "cn-zhengzhou-nebula-1",
    "eu-west-1-oxs",
    "rus-west-1-pop",
];

/// Regions only the PolarDB SDK maps to `polardb.aliyuncs.com` (the current SDK's map); the
/// PolarDB-X SDK gives them their regional host.
pub const CENTRAL_REGIONS_POLARDB_ONLY: &[&str] = &[
    "cn-qingdao",
    "cn-beijing",
    "cn-hangzhou",
    "cn-shanghai",
    "cn-heyuan",
];

/// Regions only the PolarDB-X SDK maps to `polardbx.aliyuncs.com`; the PolarDB SDK gives them
/// their regional host.
pub const CENTRAL_REGIONS_POLARDBX_ONLY: &[&str] = &[
    "ap-northeast-1",
    "ap-south-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "cn-north-2-gov-1",
    "cn-shanghai-finance-1",
    "cn-shenzhen-finance-1",
    "eu-central-1",
    "eu-west-1",
    "me-east-1",
];

/// The environment variable that overrides `product`'s endpoint.
pub fn env_var(product: Product) -> &'static str {
    match product {
        Product::Polardb => "ALIBABA_CLOUD_ENDPOINT_POLARDB",
        Product::Polardbx => "ALIBABA_CLOUD_ENDPOINT_POLARDBX",
    }
}

/// The public host for `product` in `region`, per the official SDKs' maps.
pub fn default_host(product: Product, region: &str) -> String {
    let (name, only) = match product {
        Product::Polardb => ("polardb", CENTRAL_REGIONS_POLARDB_ONLY),
        Product::Polardbx => ("polardbx", CENTRAL_REGIONS_POLARDBX_ONLY),
    };
    if region.is_empty() || CENTRAL_REGIONS_BOTH.contains(&region) || only.contains(&region) {
        format!("{name}.aliyuncs.com")
    } else {
        format!("{name}.{region}.aliyuncs.com")
    }
}

/// The base URL for `product` in `region`: the provider block's override, else the product's
/// environment override (`ALIBABA_CLOUD_ENDPOINT_POLARDB` / `_POLARDBX`), else the public
/// endpoint. An override without a scheme gets `https://`.
pub fn resolve(
    product: Product,
    region: &str,
    configured: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> String {
    let chosen = configured
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| {
            env(env_var(product))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| default_host(product, region));
    with_scheme(&chosen)
}

/// Adds `https://` to an endpoint given as a bare host (or host:port).
pub fn with_scheme(endpoint: &str) -> String {
    if endpoint.contains("://") {
        endpoint.to_string()
    } else {
        format!("https://{endpoint}")
    }
}

/// Whether signed requests may go to `endpoint` (a full URL, as [`resolve`] returns it):
/// `https://` always; plain `http://` only to a loopback host (`localhost`, `127.0.0.0/8`,
/// `::1`: the emulator) or when `insecure` is set. Any other scheme is refused. The same rule
/// holds for endpoints from the provider block and from the environment. On refusal the
/// message names the endpoint and the fix.
pub fn check_scheme(endpoint: &str, insecure: bool) -> Result<(), String> {
    let url = url::Url::parse(endpoint).map_err(|e| {
        format!("the endpoint {endpoint:?} is not a URL ({e}); write it as https://HOST[:PORT]")
    })?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if insecure || is_loopback(&url) => Ok(()),
        "http" => Err(format!(
            "the endpoint {endpoint:?} uses plain http to a host that is not loopback, which \
             would send signed requests and credentials unencrypted; use https://, or set \
             `insecure = true` in the provider block if this is a test endpoint"
        )),
        other => Err(format!(
            "the endpoint {endpoint:?} has the scheme {other:?}; write it as https://HOST[:PORT]"
        )),
    }
}

/// Whether `url`'s host is a loopback name or address.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether `endpoint` is an override rather than the public endpoint of `region`.
pub fn is_override(product: Product, region: &str, endpoint: &str) -> bool {
    with_scheme(&default_host(product, region)) != endpoint
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    /// Central regions use the central host, others the regional one, per product.
    #[test]
    fn defaults_follow_sdk_maps() {
        for (product, region, want) in [
            (
                Product::Polardb,
                "cn-hangzhou",
                "https://polardb.aliyuncs.com",
            ),
            (
                Product::Polardb,
                "ap-southeast-1",
                "https://polardb.ap-southeast-1.aliyuncs.com",
            ),
            (
                Product::Polardbx,
                "cn-hangzhou",
                "https://polardbx.cn-hangzhou.aliyuncs.com",
            ),
            (
                Product::Polardbx,
                "eu-central-1",
                "https://polardbx.aliyuncs.com",
            ),
        ] {
            assert_eq!(resolve(product, region, None, &no_env), want, "{region}");
        }
    }

    /// Every region of either SDK's central map gets that product's central host and only that
    /// product's: the shared list and the two exception lists keep both maps exactly.
    #[test]
    fn central_maps_per_product() {
        let central = |p, r| default_host(p, r) == central_host(p);
        for (regions, polardb, polardbx) in [
            (CENTRAL_REGIONS_BOTH, true, true),
            (CENTRAL_REGIONS_POLARDB_ONLY, true, false),
            (CENTRAL_REGIONS_POLARDBX_ONLY, false, true),
        ] {
            for r in regions {
                let got = (central(Product::Polardb, r), central(Product::Polardbx, r));
                assert_eq!(got, (polardb, polardbx), "{r}");
            }
        }
        let both = CENTRAL_REGIONS_BOTH.len();
        assert_eq!(
            [
                both + CENTRAL_REGIONS_POLARDB_ONLY.len(),
                both + CENTRAL_REGIONS_POLARDBX_ONLY.len()
            ],
            [39, 45],
            "the PolarDB SDK's map has 39 regions, the PolarDB-X SDK's 45"
        );
    }

    /// The central host of `product`.
    fn central_host(product: Product) -> String {
        match product {
            Product::Polardb => "polardb.aliyuncs.com".into(),
            Product::Polardbx => "polardbx.aliyuncs.com".into(),
        }
    }

    /// The provider block beats the environment, which beats the default; bare hosts get https.
    #[test]
    fn overrides_in_order() {
        let env =
            |k: &str| (k == "ALIBABA_CLOUD_ENDPOINT_POLARDBX").then(|| "127.0.0.1:9".to_string());
        assert_eq!(
            resolve(Product::Polardbx, "cn-hangzhou", None, &env),
            "https://127.0.0.1:9"
        );
        assert_eq!(
            resolve(
                Product::Polardbx,
                "cn-hangzhou",
                Some("http://127.0.0.1:8080"),
                &env
            ),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            resolve(Product::Polardb, "cn-hangzhou", None, &env),
            "https://polardb.aliyuncs.com",
            "the PolarDB-X variable does not affect PolarDB"
        );
        assert_eq!(
            resolve(Product::Polardb, "cn-hangzhou", Some("  "), &no_env),
            "https://polardb.aliyuncs.com",
            "a blank override is ignored"
        );
    }

    /// https always passes; http only to loopback or with insecure; other schemes never.
    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "https://polardb.aliyuncs.com",
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://localhost:1",
            "http://LOCALHOST",
            "http://[::1]:80",
        ] {
            assert_eq!(check_scheme(ok, false), Ok(()), "{ok}");
        }
        for (bad, fix) in [
            ("http://polardb.aliyuncs.com", "insecure = true"),
            ("http://10.0.0.1:8080", "https://"),
            ("http://localhost.example.com", "not loopback"),
            ("ftp://127.0.0.1", "scheme"),
            ("https://", "not a URL"),
        ] {
            let e = check_scheme(bad, false).expect_err(bad);
            assert!(e.contains(fix), "{bad}: {e}");
            assert!(e.contains(bad), "names the endpoint: {e}");
        }
        assert_eq!(check_scheme("http://10.0.0.1:8080", true), Ok(()));
        assert!(check_scheme("ftp://127.0.0.1", true).is_err());
    }

    /// The region's public endpoint is not an override; anything else is.
    #[test]
    fn overrides_are_recognised() {
        assert!(!is_override(
            Product::Polardb,
            "cn-hangzhou",
            "https://polardb.aliyuncs.com"
        ));
        assert!(is_override(
            Product::Polardb,
            "cn-hangzhou",
            "http://127.0.0.1:9"
        ));
    }
}
