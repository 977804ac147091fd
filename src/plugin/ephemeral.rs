//! The ephemeral-resource RPCs of tfplugin6.7 (Terraform 1.10+): ValidateEphemeralResourceConfig,
//! OpenEphemeralResource, RenewEphemeralResource and CloseEphemeralResource, and the schemas
//! GetProviderSchema lists. Decodes and encodes only; each resource lives in
//! [`crate::ephemeral`].
//!
//! Terraform before 1.10 never calls these: a configuration with an `ephemeral` block fails in
//! Terraform's own parser ("Unsupported block type"), before any provider is started.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock};

use crate::ephemeral::{ephemeral_resources, EphemeralResource};
use crate::resource::Ctx;
use crate::tfvalue::Type;

use super::convert::{decode, diagnostics_to_proto, encode_into, schema_to_proto};
use super::proto::tfplugin6 as pb;

struct Typed {
    imp: Arc<dyn EphemeralResource>,
    ty: Type,
}

/// The ephemeral resources, by type name, with their value types computed once.
fn registry() -> &'static HashMap<&'static str, Typed> {
    static REGISTRY: LazyLock<HashMap<&'static str, Typed>> = LazyLock::new(|| {
        ephemeral_resources()
            .into_iter()
            .map(|imp| {
                let ty = imp.schema().value_type();
                (imp.type_name(), Typed { imp, ty })
            })
            .collect()
    });
    &REGISTRY
}

/// `ephemeral_resource_schemas` of GetProviderSchema.
pub fn schemas() -> std::collections::HashMap<String, pb::Schema> {
    registry()
        .values()
        .map(|t| {
            (
                t.imp.type_name().to_string(),
                schema_to_proto(t.imp.schema()),
            )
        })
        .collect()
}

/// `ephemeral_resources` of GetMetadata.
pub fn metadata() -> Vec<pb::get_metadata::EphemeralMetadata> {
    let names: BTreeMap<&str, ()> = registry().keys().map(|n| (*n, ())).collect();
    names
        .into_keys()
        .map(|n| pb::get_metadata::EphemeralMetadata {
            type_name: n.to_string(),
        })
        .collect()
}

fn lookup(name: &str) -> Result<&'static Typed, crate::diagnostics::Diagnostic> {
    registry().get(name).ok_or_else(|| {
        crate::diagnostics::Diagnostic::error(
            "Unknown ephemeral resource type",
            format!(
                "The alicloud provider has no ephemeral resource type \"{name}\". Check the \
                 spelling, or upgrade the provider if the type is newer."
            ),
        )
    })
}

pub fn validate(
    req: pb::validate_ephemeral_resource_config::Request,
) -> pb::validate_ephemeral_resource_config::Response {
    let diagnostics = match lookup(&req.type_name) {
        Err(d) => vec![d],
        Ok(t) => match decode(req.config.as_ref(), &t.ty, "ephemeral resource config") {
            Ok(config) => t.imp.validate(&config),
            Err(d) => vec![d],
        },
    };
    pb::validate_ephemeral_resource_config::Response {
        diagnostics: diagnostics_to_proto(&diagnostics),
    }
}

pub async fn open(
    ctx: &Ctx,
    req: pb::open_ephemeral_resource::Request,
) -> pb::open_ephemeral_resource::Response {
    tracing::debug!(rpc = "OpenEphemeralResource", type_name = %req.type_name, "request");
    let mut diags = Vec::new();
    let mut resp = pb::open_ephemeral_resource::Response::default();
    match lookup(&req.type_name) {
        Err(d) => diags.push(d),
        Ok(t) => match decode(req.config.as_ref(), &t.ty, "ephemeral resource config") {
            Err(d) => diags.push(d),
            Ok(config) => {
                let out = t.imp.open(ctx, config).await;
                let failed = crate::diagnostics::has_errors(&out.diagnostics);
                diags.extend(out.diagnostics);
                if !failed {
                    resp.result =
                        encode_into(&out.result, &t.ty, "ephemeral resource result", &mut diags);
                }
            }
        },
    }
    resp.diagnostics = diagnostics_to_proto(&diags);
    resp
}

/// Nothing this provider opens needs renewing: the links expire by themselves.
pub fn renew(
    _req: pb::renew_ephemeral_resource::Request,
) -> pb::renew_ephemeral_resource::Response {
    pb::renew_ephemeral_resource::Response::default()
}

/// Nothing to close: the links expire by themselves.
pub fn close(
    _req: pb::close_ephemeral_resource::Request,
) -> pb::close_ephemeral_resource::Response {
    pb::close_ephemeral_resource::Response::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The download resource is listed with its schema; an unknown type is a diagnostic.
    #[test]
    fn listed_and_unknown() {
        assert!(schemas().contains_key("alicloud_polardbx_backup_download"));
        assert_eq!(metadata().len(), 1);
        let resp = validate(pb::validate_ephemeral_resource_config::Request {
            type_name: "alicloud_nothing".into(),
            config: None,
        });
        assert_eq!(resp.diagnostics.len(), 1);
    }
}
