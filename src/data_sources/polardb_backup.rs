//! Data source `alicloud_polardb_backup`: the one backup of a PolarDB cluster that matches the
//! filters (status, mode, a start-time window, comment), or the newest of them with
//! `most_recent = true`; with `include_detached = true` also the backups a released cluster
//! left behind (DescribeDetachedBackups). Its attributes are those of an item of
//! `alicloud_polardb_backups`, made by the same code.

use std::collections::HashSet;

use async_trait::async_trait;

use super::listing::{self, failed, item_attributes, provider_and_cluster, window_minutes};
use super::polardb_backups::{backup_type, check_time, item, TIME_FIX};
use crate::alicloud::paging::all_pages;
use crate::alicloud::polardb::{Backup, DescribeBackups};
use crate::alicloud::polardb_detached::{describe_page, Listing};
use crate::alicloud::{ApiError, Client};
use crate::diagnostics::{self as diag, Diagnostic, Diagnostics};
use crate::resource::{Ctx, DataSource, ReadResponse};
use crate::resources::arguments;
use crate::resources::{all_checks, check_attr};
use crate::schema::{Attribute, Block, Schema};
use crate::tfvalue::{Type, Value};

const PAGE_SIZE: u32 = 100;

crate::schema::holds_schema!(PolardbBackup, "alicloud_polardb_backup");

// ----- schema -----

/// The filters (arguments) first, then every attribute of a listed backup (computed; `status`,
/// `backup_mode` and `comment` are both filter and result).
fn schema() -> Schema {
    let opt = |n: &str, d: &str| Attribute::optional(n, Type::String, d);
    // A filter that is also a result: the chosen backup's value when left out.
    let filter = |n: &str, d: &str| Attribute::optional_computed(n, Type::String, d);
    let flag = |n: &str, d: &str| Attribute::optional(n, Type::Bool, d);
    let filters = ["status", "backup_mode", "comment"];
    let block = Block::new(
        "The one backup of a PolarDB cluster matching the filters, or the newest with \
         `most_recent`.",
    )
    .attribute(arguments::cluster_id())
    .attribute(filter(
        "status",
        "Only a backup in this status, e.g. `Success`.",
    ))
    .attribute(filter("backup_mode", "`Manual` or `Automated`."))
    .attribute(filter(
        "comment",
        "Only a backup with exactly this comment (the API's `Comment`).",
    ))
    .attribute(opt(
        "started_after",
        "Only a backup started at or after this time, `yyyy-MM-ddTHH:mmZ` (UTC); default 400 \
         days ago.",
    ))
    .attribute(opt(
        "started_before",
        "Only a backup started at or before this time, `yyyy-MM-ddTHH:mmZ` (UTC); default a day \
         from now.",
    ))
    .attribute(flag(
        "most_recent",
        "When several match, pick the one started last (default `false`: several is an error).",
    ))
    .attribute(flag(
        "include_detached",
        "Also look among the backups kept after the cluster was released \
         (DescribeDetachedBackups; default `false`).",
    ))
    .attribute(Attribute::computed(
        "detached",
        Type::Bool,
        "Whether the backup was found among a released cluster's kept backups.",
    ));
    let skip = [&["db_cluster_id"][..], &filters].concat();
    let block = item_attributes(
        block,
        backup_type(),
        &skip,
        "`<db_cluster_id>:<backup_id>`, as `alicloud_polardb_backup` and import use.",
        "alicloud_polardb_backups",
    );
    Schema::new(0, block)
}

#[async_trait]
impl DataSource for PolardbBackup {
    // ----- validate -----

    fn validate(&self, config: &Value) -> Diagnostics {
        all_checks([
            arguments::check_cluster(config, None),
            check_attr(config, "started_after", check_time, TIME_FIX),
            check_attr(config, "started_before", check_time, TIME_FIX),
            arguments::check_polardb_mode(config),
        ])
    }

    // ----- read -----

    async fn read(&self, ctx: &Ctx, config: Value) -> ReadResponse {
        let (provider, cluster) = match provider_and_cluster(ctx, &config) {
            Ok(found) => found,
            Err(d) => return failed(d),
        };
        let (start_time, end_time) = window_minutes(&config, "started_after", "started_before");
        let query = DescribeBackups {
            db_cluster_id: cluster.clone(),
            backup_status: config.str_attr("status").map(str::to_string),
            backup_mode: config.str_attr("backup_mode").map(str::to_string),
            start_time,
            end_time,
            page_size: PAGE_SIZE,
            ..DescribeBackups::default()
        };
        let client = &provider.polardb;
        let mut found = match list(client, Listing::Attached, &query).await {
            Ok(found) => found,
            // A released cluster is not found; its kept backups may still be asked for.
            Err(e)
                if e.kind == crate::alicloud::ErrorKind::NotFound
                    && config.bool_attr("include_detached") == Some(true) =>
            {
                Vec::new()
            }
            Err(e) => {
                return failed(diag::api_error(
                    &format!("list the backups of {cluster}"),
                    &e,
                ))
            }
        };
        if config.bool_attr("include_detached") == Some(true) {
            match list(client, Listing::Detached, &query).await {
                Ok(kept) => {
                    let seen: HashSet<String> =
                        found.iter().map(|(b, _, _)| b.backup_id.clone()).collect();
                    found.extend(
                        kept.into_iter()
                            .filter(|(b, _, _)| !seen.contains(&b.backup_id)),
                    );
                }
                Err(e) => {
                    return failed(diag::api_error(
                        &format!("list the kept backups of released cluster {cluster}"),
                        &e,
                    ))
                }
            }
        }
        if let Some(comment) = config.str_attr("comment") {
            found.retain(|(_, c, _)| c == comment);
        }
        let candidates: Vec<Candidate> = found
            .iter()
            .map(|(b, _, _)| Candidate {
                id: b.backup_id.clone(),
                started: b.backup_start_time.clone(),
            })
            .collect();
        let most_recent = config.bool_attr("most_recent") == Some(true);
        let chosen = match pick(&candidates, most_recent, "PolarDB cluster", &cluster) {
            Ok(i) => i,
            Err(d) => return failed(d),
        };
        let (backup, comment, detached) = &found[chosen];
        let mut found = item(&cluster, backup);
        found.set("comment", crate::resources::mapping::text(comment));
        found.set("detached", Value::Bool(*detached));
        listing::chosen(config, Some(found))
    }
}

// ----- helpers -----

/// Every backup of one listing, with its comment and whether it is detached.
async fn list(
    client: &Client,
    listing: Listing,
    query: &DescribeBackups,
) -> Result<Vec<(Backup, String, bool)>, ApiError> {
    all_pages(PAGE_SIZE, |page| {
        let q = DescribeBackups {
            page_number: page,
            ..query.clone()
        };
        async move {
            let (p, comments) = describe_page(client, listing, &q).await?;
            let detached = listing == Listing::Detached;
            let items = p
                .items
                .into_iter()
                .zip(comments.into_iter().chain(std::iter::repeat(String::new())))
                .map(|(b, c)| (b, c, detached))
                .collect();
            Ok((items, p.total_record_count))
        }
    })
    .await
}

/// A backup that matched, as far as choosing among several needs.
pub(super) struct Candidate {
    pub id: String,
    /// `yyyy-MM-ddTHH:mm:ssZ`: such times order as their text does.
    pub started: String,
}

/// The index of the one candidate, or of the newest with `most_recent`; otherwise the error
/// that says what matched and what to do.
pub(super) fn pick(
    candidates: &[Candidate],
    most_recent: bool,
    what: &str,
    of: &str,
) -> Result<usize, Diagnostic> {
    match candidates.len() {
        0 => Err(Diagnostic::error(
            "No backup matches",
            format!(
                "No backup of {what} {of} matches the filters in the time window. Widen the \
                 filters (status, backup_mode, started_after, started_before) or check the ID."
            ),
        )),
        1 => Ok(0),
        n if most_recent => Ok((0..n)
            .max_by(|&a, &b| candidates[a].started.cmp(&candidates[b].started))
            .unwrap_or(0)),
        n => {
            let shown: Vec<String> = candidates
                .iter()
                .take(10)
                .map(|c| format!("{} (started {})", c.id, c.started))
                .collect();
            Err(Diagnostic::error(
                "Several backups match",
                format!(
                    "{n} backups of {what} {of} match: {}{}. Set most_recent = true to pick the \
                     newest, or narrow the filters.",
                    shown.join(", "),
                    if n > 10 { ", ..." } else { "" }
                ),
            )
            .at(crate::diagnostics::AttributePath::attr("most_recent")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, started: &str) -> Candidate {
        Candidate {
            id: id.into(),
            started: started.into(),
        }
    }

    /// None and several are errors that say what to do; most_recent picks the newest.
    #[test]
    fn picking() {
        let none = pick(&[], false, "PolarDB cluster", "pc-a").unwrap_err();
        assert!(none.detail.contains("Widen the filters"));
        let two = [
            c("1", "2026-01-02T00:00:00Z"),
            c("2", "2026-03-01T00:00:00Z"),
            c("3", "2026-02-01T00:00:00Z"),
        ];
        let many = pick(&two, false, "PolarDB cluster", "pc-a").unwrap_err();
        assert!(many.detail.contains("3 backups"), "{}", many.detail);
        assert!(many.detail.contains("most_recent = true"));
        assert_eq!(pick(&two, true, "PolarDB cluster", "pc-a").unwrap(), 1);
        assert_eq!(pick(&two[..1], false, "x", "y").unwrap(), 0);
    }

    /// The schema has every item attribute once, and the filters as optional arguments.
    #[test]
    fn schema_covers_item() {
        let s = schema();
        let names = [
            "id",
            "backup_id",
            "status",
            "comment",
            "size_bytes",
            "expire_time",
            "detached",
        ];
        listing::assert_each_once(&s, &names);
        let status = s.block.find("status").expect("status");
        assert!(status.optional && status.computed);
    }

    /// Bad times and modes are named with their fix.
    #[test]
    fn validation() {
        let cfg = schema().config_with(&[
            ("started_after", Value::string("yesterday")),
            ("backup_mode", Value::string("Sometimes")),
        ]);
        let d = PolardbBackup::new().validate(&cfg);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].summary.contains("started_after"));
    }
}
