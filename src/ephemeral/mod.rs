//! Ephemeral resources (Terraform 1.10+, tfplugin6.7): values Terraform asks for during a plan
//! or apply and never writes to the plan or the state, such as download links. The plugin layer
//! (`plugin::ephemeral`) decodes the wire messages and calls [`EphemeralResource`].

pub mod polardbx_backup_download;

use std::sync::Arc;

use async_trait::async_trait;

use crate::diagnostics::Diagnostics;
use crate::resource::{Ctx, ObjectType};
use crate::tfvalue::Value;

/// What `open` answers: the result object (every attribute of the schema), or diagnostics.
#[derive(Debug, Default)]
pub struct OpenResponse {
    pub result: Value,
    pub diagnostics: Diagnostics,
}

/// An ephemeral resource. Section order in each file: struct, schema, validate, open, helpers,
/// tests. Nothing to renew or close: what it opens expires by itself.
#[async_trait]
pub trait EphemeralResource: ObjectType {
    /// Checks the configuration without calling any API. Unknown values must pass.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Vec::new()
    }

    async fn open(&self, ctx: &Ctx, config: Value) -> OpenResponse;
}

/// Every ephemeral resource the provider serves.
pub fn ephemeral_resources() -> Vec<Arc<dyn EphemeralResource>> {
    vec![Arc::new(
        polardbx_backup_download::PolardbxBackupDownload::new(),
    )]
}
