//! The provider block: its schema, validation, and configuration into API clients.

use std::sync::Arc;

use crate::alicloud::Client;
use crate::diagnostics::Diagnostics;
use crate::resource::{DataSource, Resource};
use crate::schema::{Block, Schema};
use crate::tfvalue::Value;

/// What `ConfigureProvider` produces and every resource call uses.
#[derive(Debug)]
pub struct ProviderData {
    /// The provider's region (`region`, or `ALIBABA_CLOUD_REGION` / `ALICLOUD_REGION`).
    pub region: String,
    pub polardb: Client,
    pub polardbx: Client,
}

/// The provider block's schema.
pub fn schema() -> Schema {
    Schema::new(
        0,
        Block::new("The alicloud provider for PolarDB and PolarDB-X backups."),
    )
}

/// Checks the provider block without calling any API. Unknown values pass.
pub fn validate(_config: &Value) -> Diagnostics {
    Vec::new()
}

/// Builds the API clients from the provider block, the environment and the credentials chain.
/// Warnings come back alongside the data.
pub async fn configure(_config: &Value) -> Result<(ProviderData, Diagnostics), Diagnostics> {
    Err(vec![crate::diagnostics::Diagnostic::error(
        "Provider configuration not implemented",
        "",
    )])
}

/// Every resource the provider serves.
pub fn resources() -> Vec<Arc<dyn Resource>> {
    crate::resources::resources()
}

/// Every data source the provider serves.
pub fn data_sources() -> Vec<Arc<dyn DataSource>> {
    crate::resources::data_sources()
}
