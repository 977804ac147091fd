//! Data source `alicloud_polardbx_backup`: the one backup set of a PolarDB-X instance that
//! matches the filters (status, mode, a start-time window), or the newest of them with
//! `most_recent = true`. Its attributes are those of an item of `alicloud_polardbx_backups`,
//! made by the same code.

use async_trait::async_trait;

use super::listing::{self, failed, item_attributes};
use super::polardb_backup::{pick, Candidate};
use super::polardbx_backups::{check_time, item, read_sets, set_type, InstanceSets, TIME_FIX};
use crate::diagnostics::Diagnostics;
use crate::resource::{Ctx, DataSource, ReadResponse};
use crate::resources::arguments;
use crate::resources::{all_checks, check_attr, one_of};
use crate::schema::{Attribute, Block, Schema};
use crate::tfvalue::{Type, Value};

/// `BackupModel` of the backup sets a policy takes and of those taken on request.
const MODES: [(&str, &str); 2] = [("Automated", "0"), ("Manual", "1")];

crate::schema::holds_schema!(PolardbxBackup, "alicloud_polardbx_backup");

// ----- schema -----

fn schema() -> Schema {
    let opt = |n: &str, d: &str| Attribute::optional(n, Type::String, d);
    let block = Block::new(
        "The one backup set of a PolarDB-X 2.0 instance matching the filters, or the newest \
         with `most_recent`.",
    )
    .attribute(arguments::instance_name(
        "The instance, e.g. `pxc-hzabc123`.",
    ))
    .attribute(arguments::region_id())
    .attribute(Attribute::optional_computed(
        "status",
        Type::String,
        "Only a backup set in this status: `Success`, `Running` or `Failed`.",
    ))
    .attribute(opt(
        "backup_mode",
        "`Manual` (taken on request) or `Automated` (taken by the backup policy).",
    ))
    .attribute(opt(
        "started_after",
        "Only a backup set begun at or after this time, `yyyy-MM-ddTHH:mm:ssZ` (UTC); default \
         400 days ago.",
    ))
    .attribute(opt(
        "started_before",
        "Only a backup set begun at or before this time, `yyyy-MM-ddTHH:mm:ssZ` (UTC); default a \
         day from now.",
    ))
    .attribute(Attribute::optional(
        "most_recent",
        Type::Bool,
        "When several match, pick the one begun last (default `false`: several is an error).",
    ));
    let block = item_attributes(
        block,
        set_type(),
        &["db_instance_name", "region_id", "status"],
        "`<region_id>:<db_instance_name>:<backup_set_id>`, as `alicloud_polardbx_backup` and \
         import use.",
        "alicloud_polardbx_backups",
    );
    Schema::new(0, block)
}

#[async_trait]
impl DataSource for PolardbxBackup {
    // ----- validate -----

    fn validate(&self, config: &Value) -> Diagnostics {
        all_checks([
            arguments::check_instance(config, arguments::INSTANCE_FIX),
            arguments::check_region_id(config),
            check_attr(config, "started_after", check_time, TIME_FIX),
            check_attr(config, "started_before", check_time, TIME_FIX),
            check_attr(
                config,
                "status",
                one_of(&["Success", "Running", "Failed"], "a backup set status"),
                "Use \"Success\", \"Running\" or \"Failed\".",
            ),
            check_attr(
                config,
                "backup_mode",
                one_of(&["Manual", "Automated"], "a backup mode"),
                "Use \"Manual\" or \"Automated\".",
            ),
        ])
    }

    // ----- read -----

    async fn read(&self, ctx: &Ctx, config: Value) -> ReadResponse {
        let InstanceSets {
            instance,
            region,
            mut sets,
            window_ms: (start_ms, end_ms),
        } = match read_sets(ctx, &config, "started_after", "started_before").await {
            Ok(found) => found,
            Err(d) => return failed(d),
        };
        let model = config
            .str_attr("backup_mode")
            .and_then(|m| MODES.iter().find(|(name, _)| *name == m))
            .map(|(_, code)| *code);
        let status = config.str_attr("status");
        sets.retain(|s| {
            model.is_none_or(|m| s.backup_model == m)
                && status.is_none_or(|st| crate::resources::mapping::status_name(s.status) == st)
                && s.begin_time >= start_ms
                && s.begin_time <= end_ms
        });
        let items: Vec<Value> = sets.iter().map(|s| item(&region, &instance, s)).collect();
        let candidates: Vec<Candidate> = items
            .iter()
            .zip(&sets)
            .map(|(v, s)| Candidate {
                id: s.backup_set_id.clone(),
                started: v.str_attr("begin_time").unwrap_or_default().to_string(),
            })
            .collect();
        let most_recent = config.bool_attr("most_recent") == Some(true);
        let chosen = match pick(&candidates, most_recent, "PolarDB-X instance", &instance) {
            Ok(i) => i,
            Err(d) => return failed(d),
        };
        listing::chosen(config, items.into_iter().nth(chosen))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item attribute appears once; filters are arguments.
    #[test]
    fn schema_covers_item() {
        let names = [
            "id",
            "backup_set_id",
            "status",
            "region_id",
            "begin_time",
            "size_bytes",
        ];
        listing::assert_each_once(&schema(), &names);
    }

    /// A bad status or mode names the attribute and the allowed values.
    #[test]
    fn validation() {
        let cfg = schema().config_with(&[
            ("status", Value::string("1")),
            ("backup_mode", Value::string("manual")),
        ]);
        let d = PolardbxBackup::new().validate(&cfg);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].detail.contains("\"Success\""), "{:?}", d[0]);
    }
}
