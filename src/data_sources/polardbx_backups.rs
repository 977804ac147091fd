//! Data source `alicloud_polardbx_backups`: the backup sets of a PolarDB-X instance in a time
//! window, every page of them, with the same attribute names as `alicloud_polardbx_backup`.

use std::time::SystemTime;

use async_trait::async_trait;

use super::listing::{default_window, failed, listed, plural_block, window_and_results};
use crate::alicloud::polardbx::{self, BackupSet};
use crate::diagnostics::{self as diag, invalid_attribute, Diagnostic, Diagnostics};
use crate::resource::{Ctx, DataSource, ReadResponse};
use crate::resources::arguments;
use crate::resources::ids::polardbx_backup_id;
use crate::resources::mapping::{self, text};
use crate::resources::{all_checks, check_attr};
use crate::schema::Schema;
use crate::tfvalue::{Type, Value};
use crate::timefmt;

crate::schema::holds_schema!(PolardbxBackups, "alicloud_polardbx_backups");

// ----- schema -----

pub(super) fn set_type() -> Type {
    let s = |n: &str| (n.to_string(), Type::String);
    Type::object([
        s("id"),
        s("region_id"),
        s("db_instance_name"),
        s("backup_set_id"),
        s("status"),
        s("backup_model"),
        s("backup_type"),
        s("begin_time"),
        s("end_time"),
        ("size_bytes".to_string(), Type::Number),
    ])
}

fn schema() -> Schema {
    let block = plural_block(
        "The backup sets of a PolarDB-X 2.0 instance in a time window.",
        "`<region_id>:<db_instance_name>`.",
    )
    .attribute(arguments::instance_name(
        "The instance, e.g. `pxc-hzabc123`.",
    ))
    .attribute(arguments::region_id());
    let block = window_and_results(block, "yyyy-MM-ddTHH:mm:ssZ", "backup sets", set_type());
    Schema::new(0, block)
}

#[async_trait]
impl DataSource for PolardbxBackups {
    // ----- validate -----

    fn validate(&self, config: &Value) -> Diagnostics {
        let window = match (
            config
                .str_attr("start_time")
                .and_then(timefmt::parse_iso8601),
            config.str_attr("end_time").and_then(timefmt::parse_iso8601),
        ) {
            (Some(start), Some(end)) if start > end => Some(invalid_attribute(
                "start_time",
                "start_time is after end_time: the window is empty.",
                "Swap start_time and end_time, or leave one of them out to use its default.",
            )),
            _ => None,
        };
        all_checks([
            window,
            arguments::check_instance(config, arguments::INSTANCE_FIX),
            arguments::check_region_id(config),
            check_attr(config, "start_time", check_time, TIME_FIX),
            check_attr(config, "end_time", check_time, TIME_FIX),
        ])
    }

    // ----- read -----

    async fn read(&self, ctx: &Ctx, config: Value) -> ReadResponse {
        let InstanceSets {
            instance,
            region,
            sets,
            ..
        } = match read_sets(ctx, &config, "start_time", "end_time").await {
            Ok(found) => found,
            Err(d) => return failed(d),
        };
        let mut state = config;
        state.set("region_id", Value::string(&region));
        let items = sets.iter().map(|s| item(&region, &instance, s)).collect();
        listed(state, Value::string(format!("{region}:{instance}")), items)
    }
}

// ----- helpers -----

/// The fix for a window time that is not `yyyy-MM-ddTHH:mm:ssZ`.
pub(super) const TIME_FIX: &str = "Use the form \"2025-01-31T00:00:00Z\" (UTC).";

/// A window time the PolarDB-X data sources accept: UTC, to the second.
pub(super) fn check_time(s: &str) -> Result<(), String> {
    timefmt::parse_iso8601(s)
        .map(|_| ())
        .ok_or_else(|| format!("\"{s}\" is not a UTC time."))
}

/// What both PolarDB-X data sources read first: the instance, its region (the provider's by
/// default, checked), and every backup set begun in the window that the arguments `start` and
/// `end` give (the default window where they are null).
pub(super) async fn read_sets(
    ctx: &Ctx,
    config: &Value,
    start: &str,
    end: &str,
) -> Result<InstanceSets, Diagnostic> {
    let provider = ctx.provider()?;
    let Some(instance) = config.str_attr("db_instance_name").map(str::to_string) else {
        return Err(invalid_attribute(
            "db_instance_name",
            "The instance name is missing.",
            "Set db_instance_name.",
        ));
    };
    let (region, client) = arguments::polardbx_client(provider, config)?;
    let (default_start, default_end) = default_window(SystemTime::now());
    let ms = |name: &str, default: SystemTime| {
        config
            .str_attr(name)
            .and_then(timefmt::parse_iso8601)
            .map_or_else(
                || timefmt::unix_millis(default),
                |secs| secs.saturating_mul(1000),
            )
    };
    let (start_ms, end_ms) = (ms(start, default_start), ms(end, default_end));
    let sets = polardbx::list_backup_sets(&client, &region, &instance, start_ms, end_ms)
        .await
        .map_err(|e| diag::api_error(&format!("list the backup sets of {instance}"), &e))?;
    Ok(InstanceSets {
        instance,
        region,
        sets,
        window_ms: (start_ms, end_ms),
    })
}

/// What [`read_sets`] found.
pub(super) struct InstanceSets {
    pub instance: String,
    pub region: String,
    pub sets: Vec<BackupSet>,
    /// The window asked for, in epoch milliseconds.
    pub window_ms: (i64, i64),
}

pub(super) fn item(region: &str, instance: &str, s: &BackupSet) -> Value {
    let mut item = Value::object([
        (
            "id",
            Value::string(polardbx_backup_id(region, instance, &s.backup_set_id)),
        ),
        ("region_id", Value::string(region)),
        ("db_instance_name", Value::string(instance)),
        ("backup_set_id", Value::string(&s.backup_set_id)),
        ("backup_type", text(&s.backup_type)),
    ]);
    mapping::set_all(&mut item, mapping::polardbx_backup_set(s));
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items carry exactly the attributes of the list's element type.
    #[test]
    fn item_matches_type() {
        let v = item(
            "cn-hangzhou",
            "pxc-a",
            &BackupSet {
                backup_set_id: "9".into(),
                status: 0,
                ..BackupSet::default()
            },
        );
        crate::data_sources::listing::assert_item_fits(&v, set_type());
        assert_eq!(v.str_attr("id"), Some("cn-hangzhou:pxc-a:9"));
        assert_eq!(v.str_attr("status"), Some("Running"));
    }

    /// A window whose start is after its end is refused, naming both; an ordered one passes.
    #[test]
    fn validate_window_order() {
        let window = |start: &str, end: &str| {
            schema().config_with(&[
                ("db_instance_name", Value::string("pxc-abc")),
                ("start_time", Value::string(start)),
                ("end_time", Value::string(end)),
            ])
        };
        let ds = PolardbxBackups::new();
        let d = ds.validate(&window("2025-02-01T00:00:00Z", "2025-01-01T00:00:00Z"));
        assert_eq!(d.len(), 1);
        assert!(d[0].detail.contains("start_time") && d[0].detail.contains("end_time"));
        assert!(ds
            .validate(&window("2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"))
            .is_empty());
    }

    /// A PolarDB cluster ID in place of an instance name is named.
    #[test]
    fn validate_instance() {
        let cfg = schema().config_with(&[("db_instance_name", Value::string("pc-abc"))]);
        let d = PolardbxBackups::new().validate(&cfg);
        assert_eq!(d.len(), 1);
        assert!(d[0].summary.contains("db_instance_name"));
    }
}
