//! Data source `alicloud_polardb_backups`: the backups of a PolarDB cluster in a time window,
//! every page of them, with the same attribute names as `alicloud_polardb_backup`.

use async_trait::async_trait;

use super::listing::{
    failed, listed, plural_block, provider_and_cluster, window_and_results, window_minutes,
};
use crate::alicloud::paging::all_pages;
use crate::alicloud::polardb::{self, Backup, DescribeBackups};
use crate::diagnostics::{self as diag, invalid_attribute, Diagnostic, Diagnostics};
use crate::resource::{Ctx, DataSource, ReadResponse};
use crate::resources::arguments;
use crate::resources::ids::polardb_backup_id;
use crate::resources::mapping::{self, text};
use crate::resources::{all_checks, check_attr, one_of};
use crate::schema::{Attribute, Schema};
use crate::tfvalue::{Type, Value};
use crate::timefmt;

const PAGE_SIZE: u32 = 100;

crate::schema::holds_schema!(PolardbBackups, "alicloud_polardb_backups");

// ----- schema -----

pub(super) fn backup_type() -> Type {
    let s = |n: &str| (n.to_string(), Type::String);
    Type::object([
        s("id"),
        s("db_cluster_id"),
        s("backup_id"),
        s("status"),
        s("backup_method"),
        s("backup_type"),
        s("backup_mode"),
        s("backups_level"),
        s("start_time"),
        s("end_time"),
        ("size_bytes".to_string(), Type::Number),
        s("consistent_time"),
        s("expire_time"),
    ])
}

fn schema() -> Schema {
    let opt = |n: &str, d: &str| Attribute::optional(n, Type::String, d);
    let block = plural_block(
        "The backups of a PolarDB cluster, optionally filtered.",
        "The cluster ID.",
    )
    .attribute(arguments::cluster_id())
    .attribute(opt(
        "status",
        "Only backups in this status: `Success` or `Failed` (matched exactly, so `success` \
             is refused).",
    ))
    .attribute(opt("backup_mode", "`Automated` or `Manual`."));
    let block = window_and_results(block, "yyyy-MM-ddTHH:mmZ", "backups", backup_type());
    Schema::new(0, block)
}

#[async_trait]
impl DataSource for PolardbBackups {
    // ----- validate -----

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = all_checks([
            arguments::check_cluster(config, None),
            check_attr(config, "start_time", check_time, TIME_FIX),
            check_attr(config, "end_time", check_time, TIME_FIX),
            arguments::check_polardb_mode(config),
            check_attr(
                config,
                "status",
                one_of(
                    &["Success", "Failed"],
                    "a backup status DescribeBackups filters on; the value is matched exactly",
                ),
                "Use \"Success\" or \"Failed\" (with the capital letter), or leave it out.",
            ),
        ]);
        diags.extend(window_order(config));
        diags
    }

    // ----- read -----

    async fn read(&self, ctx: &Ctx, config: Value) -> ReadResponse {
        let (provider, cluster) = match provider_and_cluster(ctx, &config) {
            Ok(found) => found,
            Err(d) => return failed(d),
        };
        let (start, end) = window_minutes(&config, "start_time", "end_time");
        let client = &provider.polardb;
        let listing = all_pages(PAGE_SIZE, |page| {
            let query = DescribeBackups {
                db_cluster_id: cluster.clone(),
                backup_status: config.str_attr("status").map(str::to_string),
                backup_mode: config.str_attr("backup_mode").map(str::to_string),
                start_time: start.clone(),
                end_time: end.clone(),
                page_number: page,
                page_size: PAGE_SIZE,
                ..DescribeBackups::default()
            };
            async move {
                let p = polardb::describe_backups(client, &query).await?;
                Ok((p.items, p.total_record_count))
            }
        })
        .await;
        let backups = match listing {
            Ok(backups) => backups,
            Err(e) => {
                return failed(diag::api_error(
                    &format!("list the backups of {cluster}"),
                    &e,
                ))
            }
        };
        let items = backups.iter().map(|b| item(&cluster, b)).collect();
        listed(config, Value::string(&cluster), items)
    }
}

// ----- helpers -----

/// The fix for a window time that is not `yyyy-MM-ddTHH:mmZ`.
pub(super) const TIME_FIX: &str = "Use the form \"2025-01-31T00:00Z\" (UTC).";

/// The backup's cluster as reported, or the one asked about when the API leaves it out.
fn cluster_of(b: &Backup, asked: &str) -> String {
    if b.db_cluster_id.is_empty() {
        asked.to_string()
    } else {
        b.db_cluster_id.clone()
    }
}

pub(super) fn item(cluster: &str, b: &Backup) -> Value {
    let cluster = cluster_of(b, cluster);
    let mut item = Value::object([
        (
            "id",
            Value::string(polardb_backup_id(&cluster, &b.backup_id)),
        ),
        ("db_cluster_id", Value::string(cluster)),
        ("backup_id", Value::string(&b.backup_id)),
        ("backup_mode", text(&b.backup_mode)),
    ]);
    mapping::set_all(&mut item, mapping::polardb_backup(b));
    item
}

/// A window whose `start_time` is after its `end_time` (both known and well formed).
fn window_order(config: &Value) -> Option<Diagnostic> {
    let at = |name: &str| {
        config
            .str_attr(name)
            .filter(|s| check_time(s).is_ok())
            .and_then(|s| timefmt::parse_iso8601(s).map(|t| (s, t)))
    };
    let ((start, s), (end, e)) = (at("start_time")?, at("end_time")?);
    (s > e).then(|| {
        invalid_attribute(
            "start_time",
            &format!("start_time \"{start}\" is after end_time \"{end}\"."),
            "Make start_time earlier than end_time, or swap the two.",
        )
    })
}

/// DescribeBackups times: `yyyy-MM-ddTHH:mmZ`.
pub(super) fn check_time(s: &str) -> Result<(), String> {
    if s.len() == 17 && timefmt::parse_iso8601(s).is_some() {
        Ok(())
    } else {
        Err(format!(
            "\"{s}\" is not a time in the form yyyy-MM-ddTHH:mmZ."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items carry the same attribute names as the resource's computed values.
    #[test]
    fn item_matches_type() {
        let v = item(
            "pc-a",
            &Backup {
                backup_id: "1".into(),
                backup_status: "Success".into(),
                ..Backup::default()
            },
        );
        crate::data_sources::listing::assert_item_fits(&v, backup_type());
        assert_eq!(v.str_attr("id"), Some("pc-a:1"));
    }

    /// Bad times and modes are named; the API's minute format passes.
    #[test]
    fn validate_times() {
        let ds = PolardbBackups::new();
        let cfg = schema().config_with(&[
            ("start_time", Value::string("2025-01-01")),
            ("end_time", Value::string("2025-01-02T00:00Z")),
            ("backup_mode", Value::string("Sometimes")),
        ]);
        let d = ds.validate(&cfg);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].summary.contains("start_time"));
        assert!(d[1].summary.contains("backup_mode"));
    }

    /// A status is matched exactly: "success" is refused naming the attribute, "Success" passes.
    #[test]
    fn validate_status_exactly() {
        let ds = PolardbBackups::new();
        let d = ds.validate(&schema().config_with(&[("status", Value::string("success"))]));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].summary.contains("\"status\""));
        assert!(d[0].detail.contains("\"Success\""));
        for good in ["Success", "Failed"] {
            assert!(ds
                .validate(&schema().config_with(&[("status", Value::string(good))]))
                .is_empty());
        }
    }

    /// A window that ends before it starts is refused naming both arguments.
    #[test]
    fn validate_window_order() {
        let ds = PolardbBackups::new();
        let cfg = |start: &str, end: &str| {
            schema().config_with(&[
                ("start_time", Value::string(start)),
                ("end_time", Value::string(end)),
            ])
        };
        let d = ds.validate(&cfg("2025-02-01T00:00Z", "2025-01-01T00:00Z"));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].detail.contains("start_time") && d[0].detail.contains("end_time"));
        assert!(ds
            .validate(&cfg("2025-01-01T00:00Z", "2025-02-01T00:00Z"))
            .is_empty());
    }
}
