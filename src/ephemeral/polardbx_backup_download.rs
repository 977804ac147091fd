//! Ephemeral resource `alicloud_polardbx_backup_download`: the download links of a PolarDB-X
//! backup set (DescribeBackupSet's `OSSList`), with when they expire. The links grant access to
//! the backup's data, so they are ephemeral: Terraform keeps them out of the plan and the state,
//! and this provider never logs them.

use async_trait::async_trait;

use super::{EphemeralResource, OpenResponse};
use crate::alicloud::polardbx_download::describe_backup_set_links;
use crate::diagnostics::{self as diag, invalid_attribute, Diagnostic, Diagnostics};
use crate::resource::Ctx;
use crate::resources::arguments;
use crate::resources::mapping::{status_name, text};
use crate::resources::{all_checks, check_attr};
use crate::schema::{Attribute, Block, Schema};
use crate::tfvalue::{Type, Value};

crate::schema::holds_schema!(PolardbxBackupDownload, "alicloud_polardbx_backup_download");

// ----- schema -----

fn link_type() -> Type {
    let s = |n: &str| (n.to_string(), Type::String);
    Type::object([s("file"), s("url"), s("intranet_url"), s("expire_time")])
}

fn schema() -> Schema {
    let block = Block::new(
        "The download links of a PolarDB-X backup set, for copying it elsewhere. Ephemeral: never \
         stored in the plan or the state (Terraform 1.10 or later).",
    )
    .attribute(arguments::instance_name(
        "The instance, e.g. `pxc-hzabc123`.",
    ))
    .attribute(Attribute::required(
        "backup_set_id",
        Type::String,
        "The backup set, e.g. `alicloud_polardbx_backup.x.backup_set_id`.",
    ))
    .attribute(arguments::region_id())
    .attribute(Attribute::computed(
        "status",
        Type::String,
        "The backup set's status; only a `Success` set has links.",
    ))
    .attribute(
        Attribute::computed(
            "links",
            Type::list(link_type()),
            "One per file: `file`, `url` (public), `intranet_url` (from the region's VPC) and \
             `expire_time` (UTC), after which the URLs stop working.",
        )
        .sensitive(),
    );
    Schema::new(0, block)
}

#[async_trait]
impl EphemeralResource for PolardbxBackupDownload {
    // ----- validate -----

    fn validate(&self, config: &Value) -> Diagnostics {
        all_checks([
            arguments::check_instance(config, arguments::INSTANCE_FIX),
            arguments::check_region_id(config),
            check_attr(
                config,
                "backup_set_id",
                |v| {
                    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                        Ok(())
                    } else {
                        Err(format!("\"{v}\" is not a backup set ID."))
                    }
                },
                "Use the numeric backup_set_id of an alicloud_polardbx_backup or data source.",
            ),
        ])
    }

    // ----- open -----

    async fn open(&self, ctx: &Ctx, config: Value) -> OpenResponse {
        let fail = |d: Diagnostic| OpenResponse {
            diagnostics: vec![d],
            ..OpenResponse::default()
        };
        let provider = match ctx.provider() {
            Ok(p) => p,
            Err(d) => return fail(d),
        };
        let (Some(instance), Some(set_id)) = (
            config.str_attr("db_instance_name"),
            config.str_attr("backup_set_id"),
        ) else {
            return fail(invalid_attribute(
                "backup_set_id",
                "The instance name or backup set ID is missing.",
                "Set db_instance_name and backup_set_id.",
            ));
        };
        let (region, client) = match arguments::polardbx_client(provider, &config) {
            Ok(found) => found,
            Err(d) => return fail(d),
        };
        let found = describe_backup_set_links(&client, &region, instance, set_id).await;
        let (set, links) = match found {
            Ok(Some(found)) => found,
            Ok(None) => {
                return fail(Diagnostic::error(
                    "Backup set not found",
                    format!(
                        "PolarDB-X instance {instance} in {region} has no backup set {set_id}. \
                         Check backup_set_id, or look it up with data source \
                         alicloud_polardbx_backup."
                    ),
                ))
            }
            Err(e) => {
                return fail(diag::api_error(
                    &format!("get the download links of backup set {set_id} of {instance}"),
                    &e,
                ))
            }
        };
        let status = status_name(set.status);
        if links.is_empty() {
            return fail(Diagnostic::error(
                "The backup set has no download links",
                format!(
                    "Backup set {set_id} of PolarDB-X instance {instance} is {status} and \
                     DescribeBackupSet gave no links for it. Only a finished (Success) backup \
                     set can be downloaded: wait for it, or pick another."
                ),
            ));
        }
        tracing::info!(
            instance,
            backup_set_id = set_id,
            files = links.len(),
            "download links opened"
        );
        let mut result = config;
        result.set("region_id", Value::string(&region));
        result.set("status", Value::string(status));
        result.set(
            "links",
            Value::List(
                links
                    .into_iter()
                    .map(|l| {
                        Value::object([
                            ("file", text(&l.file)),
                            ("url", text(&l.url)),
                            ("intranet_url", text(&l.intranet_url)),
                            ("expire_time", text(&l.expires)),
                        ])
                    })
                    .collect(),
            ),
        );
        OpenResponse {
            result,
            ..OpenResponse::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::ObjectType;

    /// A non-numeric backup set ID and a wrong-product name are refused with their attribute.
    #[test]
    fn validation() {
        let r = PolardbxBackupDownload::new();
        let cfg = r.schema().config_with(&[
            ("db_instance_name", Value::string("pc-abc")),
            ("backup_set_id", Value::string("latest")),
        ]);
        let d = r.validate(&cfg);
        assert_eq!(d.len(), 2, "{d:?}");
        let cfg = r.schema().config_with(&[
            ("db_instance_name", Value::string("pxc-abc")),
            ("backup_set_id", Value::Unknown),
        ]);
        assert!(r.validate(&cfg).is_empty());
    }

    /// The links are marked sensitive, so Terraform redacts them wherever they are shown.
    #[test]
    fn links_are_sensitive() {
        let s = schema();
        let links = s.block.find("links").expect("links");
        assert!(links.sensitive);
    }
}
