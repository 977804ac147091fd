//! `alicloud_polardb_backup`: a manual backup of a PolarDB cluster (API 2017-08-01).
//!
//! Create calls CreateBackup with one `client_token` for every attempt (generated when the
//! configuration leaves it out, and kept in state), so a retried create never makes a second
//! backup. Once the API returned the backup's ID, that ID reaches state whatever fails after.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::ids::{check_cluster_id, parse_polardb_backup_id, polardb_backup_id};
use super::lifecycle::{
    failed, failed_all, finish_create, invalid_import_id, read_answer, read_failed, required_id,
};
use super::timeouts::{self, Timeouts};
use super::waiter::{self, Poll, Schedule, WaitError};
use super::{check_attr, default_if_null, text};
use crate::alicloud::polardb::{self, Backup, DescribeBackups};
use crate::alicloud::{ApiError, Client, ErrorKind};
use crate::diagnostics::{self as diag, Diagnostic, Diagnostics};
use crate::resource::{
    ApplyResponse, Ctx, ImportResponse, PlanRequest, PlanResponse, ReadResponse, Resource,
};
use crate::schema::{Attribute, Block, Schema};
use crate::tfvalue::{Type, Value};
use crate::timefmt;

/// What the diagnostics call this resource's object.
const WHAT: &str = "PolarDB backup";

const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(2 * 3600),
    delete: Duration::from_secs(20 * 60),
};

/// How far back a refresh looks when the backup's start time is not known (after an import):
/// DescribeBackups needs a window, and manual backups are kept at most about a year.
const UNKNOWN_START_LOOKBACK: Duration = Duration::from_secs(400 * 86_400);

/// While a backup is not listed yet, every this many polls also ask DescribeBackupTasks for the
/// job's progress (for the log), so the short path stays one call per poll.
const TASK_PROGRESS_EVERY: u32 = 4;

pub struct PolardbBackup {
    schema: Schema,
}

impl PolardbBackup {
    pub fn new() -> PolardbBackup {
        PolardbBackup { schema: schema() }
    }
}

impl Default for PolardbBackup {
    fn default() -> PolardbBackup {
        PolardbBackup::new()
    }
}

// ----- schema -----

fn schema() -> Schema {
    let computed =
        |name: &str, description: &str| Attribute::computed(name, Type::String, description);
    let block = Block::new(
        "A manual backup of a PolarDB cluster. A cluster keeps at most 3 manual backups.",
    )
    .attribute(computed("id", "`<db_cluster_id>:<backup_id>`."))
    .attribute(
        Attribute::required(
            "db_cluster_id",
            Type::String,
            "The cluster to back up, e.g. `pc-bp1abc2def3gh4ijk`.",
        )
        .force_new(),
    )
    .attribute(
        Attribute::optional(
            "comment",
            Type::String,
            "A note kept in the Terraform state only.",
        )
        .force_new(),
    )
    .attribute(
        Attribute::optional_computed(
            "client_token",
            Type::String,
            "Idempotency token for CreateBackup (ASCII, at most 64 characters). Generated when \
             left out, and used for every retry so a retried create never makes two backups.",
        )
        .force_new(),
    )
    .attribute(
        Attribute::optional(
            "wait_for_completion",
            Type::Bool,
            "Wait until the backup is `Success` or `Failed` (default `true`).",
        )
        .default(Value::Bool(true))
        .force_new(),
    )
    .attribute(
        Attribute::optional(
            "deletion_policy",
            Type::String,
            "`Delete` (default) deletes the backup on destroy; `Retain` only forgets it.",
        )
        .default(Value::string("Delete")),
    )
    .attribute(computed(
        "backup_job_id",
        "The `BackupJobId` CreateBackup returned.",
    ))
    .attribute(computed(
        "backup_id",
        "The backup's ID (the backup set the job made).",
    ))
    .attribute(computed(
        "status",
        "`Success`, `Failed`, or an in-progress status.",
    ))
    .attribute(computed("backup_method", "E.g. `Snapshot`."))
    .attribute(computed("backup_type", "E.g. `FullBackup`."))
    .attribute(computed("backups_level", "`Level-1` or `Level-2`."))
    .attribute(computed("start_time", "When the backup started (UTC)."))
    .attribute(computed("end_time", "When the backup ended (UTC)."))
    .attribute(Attribute::computed(
        "size_bytes",
        Type::Number,
        "Size of the backup set in bytes.",
    ))
    .attribute(computed(
        "consistent_time",
        "The point in time the backup is consistent with.",
    ))
    .attribute(computed("expire_time", "When the backup expires."))
    .block(timeouts::block(true, "2h", "20m"));
    Schema::new(0, block)
}

#[async_trait]
impl Resource for PolardbBackup {
    fn type_name(&self) -> &'static str {
        "alicloud_polardb_backup"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    // ----- validate -----

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags: Diagnostics = [
            check_attr(
                config,
                "db_cluster_id",
                check_cluster_id,
                "Use the ID of a PolarDB cluster, e.g. \"pc-bp1abc2def3gh4ijk\" (for PolarDB-X \
                 use alicloud_polardbx_backup).",
            ),
            check_attr(
                config,
                "client_token",
                check_client_token,
                "Use at most 64 printable ASCII characters, or leave it out to have one generated.",
            ),
            check_attr(
                config,
                "deletion_policy",
                |v| match v {
                    "Delete" | "Retain" => Ok(()),
                    other => Err(format!("\"{other}\" is not a deletion policy.")),
                },
                "Use \"Delete\" (the default) or \"Retain\".",
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        diags.extend(Timeouts::validate(config));
        diags
    }

    // ----- plan -----

    /// The generic planner, then the plan-time checks of a create (see `quota`).
    async fn plan(&self, ctx: &Ctx, req: PlanRequest) -> PlanResponse {
        super::quota::plan_polardb(ctx, &self.schema, req).await
    }

    // ----- create -----

    async fn create(&self, ctx: &Ctx, planned: Value, _config: Value) -> ApplyResponse {
        let provider = match ctx.provider() {
            Ok(p) => p,
            Err(d) => return failed(d),
        };
        let timeouts = match Timeouts::from_state(&planned, DEFAULT_TIMEOUTS) {
            Ok(t) => t,
            Err(diagnostics) => return failed_all(diagnostics),
        };
        let cluster = match required_id(
            &planned,
            "db_cluster_id",
            "The cluster ID is missing.",
            check_cluster_id,
            "Use a PolarDB cluster ID (pc-...).",
        ) {
            Ok(c) => c,
            Err(d) => return failed(d),
        };
        let token = planned
            .str_attr("client_token")
            .map_or_else(new_client_token, str::to_string);
        let requested = SystemTime::now();

        let job_id = match polardb::create_backup(&provider.polardb, &cluster, &token).await {
            Ok(id) if !id.is_empty() => id,
            Ok(_) => {
                return failed(Diagnostic::error(
                    "CreateBackup returned no backup ID",
                    format!(
                        "PolarDB accepted the backup request for {cluster} but returned no \
                     BackupJobId, so the provider cannot track it. Check the cluster's backups \
                     in the console and import the new one with \
                     `terraform import <address> {cluster}:<backup_id>`."
                    ),
                ))
            }
            Err(e) => {
                return failed(diag::api_error(
                    &format!("create a backup of {cluster}"),
                    &e,
                ))
            }
        };
        let id = polardb_backup_id(&cluster, &job_id);
        tracing::info!(id = id.as_str(), "PolarDB backup created");

        let mut state = planned;
        state.set("id", Value::string(&id));
        state.set("backup_job_id", Value::string(&job_id));
        state.set("backup_id", Value::string(&job_id));
        state.set("client_token", Value::string(&token));

        let since = requested
            .checked_sub(Duration::from_secs(86_400))
            .unwrap_or(requested);
        let wait = wait_until_finished(
            &provider.polardb,
            &cluster,
            &job_id,
            since,
            timeouts.create,
            &ctx.stop,
        );
        finish_create(state, WHAT, &id, wait, fill, |b| {
            b.backup_status == "Failed"
        })
        .await
    }

    // ----- read -----

    async fn read(&self, ctx: &Ctx, current: Value, private: Vec<u8>) -> ReadResponse {
        let provider = match ctx.provider() {
            Ok(p) => p,
            Err(d) => return read_failed(current, private, d),
        };
        let Some((cluster, backup_id)) = ids_of(&current) else {
            return read_failed(current, private, corrupt_state());
        };
        let since = window_start(&current);
        let found = find_backup(&provider.polardb, &cluster, &backup_id, since).await;
        read_answer(
            current,
            private,
            found,
            &format!("read backup {cluster}:{backup_id}"),
            |state, backup| {
                fill(state, &backup);
                default_if_null(state, "wait_for_completion", Value::Bool(true));
                default_if_null(state, "deletion_policy", Value::string("Delete"));
            },
            |error| match error {
                None => tracing::info!(
                    cluster = cluster.as_str(),
                    backup_id = backup_id.as_str(),
                    "backup is gone; removing it from state"
                ),
                Some(e) => tracing::info!(
                    cluster = cluster.as_str(),
                    code = e.code.as_str(),
                    "cluster is gone; removing the backup from state"
                ),
            },
        )
    }

    // ----- delete -----

    async fn delete(&self, ctx: &Ctx, prior: Value) -> Diagnostics {
        let Some((cluster, backup_id)) = ids_of(&prior) else {
            return vec![corrupt_state()];
        };
        let id = polardb_backup_id(&cluster, &backup_id);
        if prior.str_attr("deletion_policy") == Some("Retain") {
            return vec![diag::retained_warning(&id)];
        }
        let provider = match ctx.provider() {
            Ok(p) => p,
            Err(d) => return vec![d],
        };
        let timeouts = match Timeouts::from_state(&prior, DEFAULT_TIMEOUTS) {
            Ok(t) => t,
            Err(d) => return d,
        };
        let deadline = std::time::Instant::now() + timeouts.delete;
        let since = window_start(&prior);
        // A backup still running cannot be deleted (e.g. one tainted by a create timeout):
        // wait for it to finish first, within the same delete timeout.
        if !prior.str_attr("status").is_some_and(is_finished) {
            let waited = wait_until_finished(
                &provider.polardb,
                &cluster,
                &backup_id,
                since,
                timeouts.delete,
                &ctx.stop,
            )
            .await;
            match waited {
                Ok(_) => {}
                Err(WaitError::Api { error, .. }) if error.kind == ErrorKind::NotFound => {
                    return Vec::new()
                }
                Err(WaitError::Api { error, .. }) => {
                    return vec![diag::api_error(
                        &format!("check backup {id} before deleting it"),
                        &error,
                    )]
                }
                Err(WaitError::Timeout { status, .. }) => return vec![still_running(&id, &status)],
                Err(WaitError::Stopped { status, .. }) => return vec![still_running(&id, &status)],
            }
        }
        match polardb::delete_backup(&provider.polardb, &cluster, &backup_id).await {
            Ok(()) => {}
            Err(e) if e.kind == ErrorKind::NotFound => return Vec::new(),
            Err(e) => return vec![diag::api_error(&format!("delete backup {id}"), &e)],
        }
        let client = &provider.polardb;
        let gone = waiter::wait_for(
            &format!("deletion of {id}"),
            deadline.saturating_duration_since(std::time::Instant::now()),
            &Schedule::default(),
            &ctx.stop,
            || async {
                match find_backup(client, &cluster, &backup_id, since).await {
                    Ok(None) => Ok(Poll::Done(())),
                    Ok(Some(b)) => Ok(Poll::Pending(None, b.backup_status)),
                    Err(e) if e.kind == ErrorKind::NotFound => Ok(Poll::Done(())),
                    Err(e) => Err(e),
                }
            },
        )
        .await;
        match gone {
            Ok(()) => Vec::new(),
            Err(WaitError::Timeout { waited, status, .. }) => vec![Diagnostic::error(
                "Timed out waiting for the backup to be deleted",
                format!(
                    "DeleteBackup was accepted for {id}, but the backup was still listed after \
                     {}s (status {status}). It stays in the state; run `terraform destroy` \
                     again, or raise `timeouts.delete`.",
                    waited.as_secs()
                ),
            )],
            Err(WaitError::Stopped { .. }) => vec![Diagnostic::error(
                "Interrupted while waiting for the backup to be deleted",
                format!("DeleteBackup was accepted for {id}; run `terraform destroy` again to confirm it is gone."),
            )],
            Err(WaitError::Api { error, .. }) => vec![diag::api_error(&format!("confirm the deletion of {id}"), &error)],
        }
    }

    // ----- import -----

    async fn import(&self, _ctx: &Ctx, id: &str) -> ImportResponse {
        let (cluster, backup_id) = match parse_polardb_backup_id(id) {
            Ok(parts) => parts,
            Err(problem) => return invalid_import_id(
                &problem,
                "terraform import alicloud_polardb_backup.example pc-bp1abc2def3gh4ijk:1234567890",
            ),
        };
        let mut state = Value::null_object(&self.schema.value_type());
        state.set("id", Value::string(polardb_backup_id(&cluster, &backup_id)));
        state.set("db_cluster_id", Value::string(cluster));
        state.set("backup_id", Value::string(&backup_id));
        state.set("backup_job_id", Value::string(backup_id));
        state.set("wait_for_completion", Value::Bool(true));
        state.set("deletion_policy", Value::string("Delete"));
        ImportResponse {
            state,
            ..ImportResponse::default()
        }
    }
}

// ----- helpers -----

fn corrupt_state() -> Diagnostic {
    Diagnostic::error(
        "The state of this backup has no usable ID",
        "The state holds neither db_cluster_id and backup_id nor an ID of the form \
         \"<db_cluster_id>:<backup_id>\". Remove it with `terraform state rm` and import it again.",
    )
}

/// The cluster and backup IDs of a state, from its attributes or else from its `id`.
fn ids_of(state: &Value) -> Option<(String, String)> {
    match (state.str_attr("db_cluster_id"), state.str_attr("backup_id")) {
        (Some(c), Some(b)) if !c.is_empty() && !b.is_empty() => {
            Some((c.to_string(), b.to_string()))
        }
        _ => state
            .str_attr("id")
            .and_then(|id| parse_polardb_backup_id(id).ok()),
    }
}

/// The start of the DescribeBackups window that surely contains this backup: a day before its
/// start time, or [`UNKNOWN_START_LOOKBACK`] when that is not known.
fn window_start(state: &Value) -> SystemTime {
    let now = SystemTime::now();
    match state
        .str_attr("start_time")
        .and_then(timefmt::parse_iso8601)
    {
        Some(secs) => timefmt::from_unix_secs(secs - 86_400),
        None => now.checked_sub(UNKNOWN_START_LOOKBACK).unwrap_or(now),
    }
}

/// One DescribeBackups call for exactly this backup; `None` when it is not listed.
async fn find_backup(
    client: &Client,
    cluster: &str,
    backup_id: &str,
    since: SystemTime,
) -> Result<Option<Backup>, ApiError> {
    let query = DescribeBackups {
        db_cluster_id: cluster.to_string(),
        backup_id: Some(backup_id.to_string()),
        start_time: timefmt::iso8601_minutes(since),
        end_time: timefmt::iso8601_minutes(SystemTime::now() + Duration::from_secs(86_400)),
        page_number: 1,
        page_size: 30,
        ..DescribeBackups::default()
    };
    let page = polardb::describe_backups(client, &query).await?;
    Ok(page.items.into_iter().find(|b| b.backup_id == backup_id))
}

/// Waits until the backup is `Success` or `Failed`: each poll is one DescribeBackups call;
/// while the backup is not listed yet, every few polls also log the job's progress.
async fn wait_until_finished(
    client: &Client,
    cluster: &str,
    job_id: &str,
    since: SystemTime,
    timeout: Duration,
    stop: &crate::resource::StopSignal,
) -> Result<Backup, WaitError<Backup>> {
    let what = format!("PolarDB backup {cluster}:{job_id}");
    let polls = std::sync::atomic::AtomicU32::new(0);
    waiter::wait_for(&what, timeout, &Schedule::default(), stop, || {
        let n = polls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        async move {
            match find_backup(client, cluster, job_id, since).await? {
                Some(b) if is_finished(&b.backup_status) => Ok(Poll::Done(b)),
                Some(b) => {
                    let status = b.backup_status.clone();
                    Ok(Poll::Pending(Some(b), status))
                }
                None if n % TASK_PROGRESS_EVERY == 0 => {
                    let tasks =
                        polardb::describe_backup_tasks(client, cluster, Some(job_id)).await?;
                    let progress = tasks
                        .iter()
                        .find(|t| t.backup_job_id == job_id)
                        .map_or("job not listed", |t| t.backup_progress_status.as_str())
                        .to_string();
                    tracing::debug!(
                        cluster,
                        job_id,
                        progress = progress.as_str(),
                        "backup task progress"
                    );
                    Ok(Poll::Pending(None, progress))
                }
                None => Ok(Poll::Pending(None, "not listed yet".into())),
            }
        }
    })
    .await
}

/// The backup could not be deleted because it did not finish within the delete timeout.
fn still_running(id: &str, status: &str) -> Diagnostic {
    Diagnostic::error(
        "The backup is still running",
        format!(
            "PolarDB backup {id} is still running (status {status}) and PolarDB deletes only \
             finished backups. It stays in the state; run `terraform destroy` (or apply) again \
             once it has finished, or raise `timeouts.delete`."
        ),
    )
}

fn is_finished(status: &str) -> bool {
    status == "Success" || status == "Failed"
}

/// Copies what DescribeBackups reports into the computed attributes.
fn fill(state: &mut Value, b: &Backup) {
    state.set("status", text(&b.backup_status));
    state.set("backup_method", text(&b.backup_method));
    state.set("backup_type", text(&b.backup_type));
    state.set("backups_level", text(&b.backups_level));
    state.set("start_time", text(&b.backup_start_time));
    state.set("end_time", text(&b.backup_end_time));
    state.set(
        "size_bytes",
        b.backup_set_size.map_or(Value::Null, Value::int),
    );
    state.set("consistent_time", text(&b.consistent_time));
    state.set("expire_time", text(&b.expect_expire_time));
}

/// A ClientToken: 32 random hex characters (time-based if the OS has no randomness to give).
fn new_client_token() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = nanos.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_client_token(token: &str) -> Result<(), String> {
    if token.is_empty() || token.len() > 64 || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("\"{token}\" is not a valid client token."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::AttributePath;

    fn config(pairs: &[(&str, Value)]) -> Value {
        schema().config_with(pairs)
    }

    /// A wrong-product ID, a bad policy, a long token and a bad timeout each name their attribute.
    #[test]
    fn validate_names_attributes() {
        let r = PolardbBackup::new();
        let cases = [
            (
                config(&[("db_cluster_id", Value::string("pxc-abc"))]),
                AttributePath::attr("db_cluster_id"),
            ),
            (
                config(&[("db_cluster_id", Value::string(""))]),
                AttributePath::attr("db_cluster_id"),
            ),
            (
                config(&[("deletion_policy", Value::string("Keep"))]),
                AttributePath::attr("deletion_policy"),
            ),
            (
                config(&[("client_token", Value::string("x".repeat(65)))]),
                AttributePath::attr("client_token"),
            ),
            (
                config(&[(
                    "timeouts",
                    Value::object([
                        ("create", Value::string("2 hours")),
                        ("delete", Value::Null),
                    ]),
                )]),
                AttributePath::attr("timeouts").then("create"),
            ),
        ];
        for (cfg, path) in cases {
            let d = r.validate(&cfg);
            assert_eq!(d.len(), 1, "{path}: {d:?}");
            assert_eq!(d[0].attribute.as_ref(), Some(&path));
        }
    }

    /// Unknown values pass validation; a good configuration has no diagnostics.
    #[test]
    fn validate_unknown_and_good() {
        let r = PolardbBackup::new();
        let cfg = config(&[
            ("db_cluster_id", Value::Unknown),
            ("deletion_policy", Value::Unknown),
        ]);
        assert!(r.validate(&cfg).is_empty());
        let cfg = config(&[
            ("db_cluster_id", Value::string("pc-abc123")),
            ("deletion_policy", Value::string("Retain")),
        ]);
        assert!(r.validate(&cfg).is_empty());
    }

    /// Every argument but timeouts and deletion_policy forces replacement.
    #[test]
    fn force_new_arguments() {
        let s = schema();
        for a in &s.block.attributes {
            let expected = !a.computed || a.optional;
            let expected = expected && a.name != "deletion_policy";
            assert_eq!(a.force_new, expected, "{}", a.name);
        }
    }

    /// Import fills what Read needs and the defaults the configuration would plan.
    #[tokio::test]
    async fn import_sets_ids_and_defaults() {
        let r = PolardbBackup::new();
        let ctx = Ctx::unconfigured();
        let resp = r.import(&ctx, "pc-abc:123").await;
        assert!(resp.diagnostics.is_empty());
        assert_eq!(resp.state.str_attr("db_cluster_id"), Some("pc-abc"));
        assert_eq!(resp.state.str_attr("backup_id"), Some("123"));
        assert_eq!(resp.state.bool_attr("wait_for_completion"), Some(true));
        assert_eq!(resp.state.str_attr("deletion_policy"), Some("Delete"));
        let bad = r.import(&ctx, "cn-hangzhou:pxc-a:1").await;
        assert!(diag::has_errors(&bad.diagnostics));
        assert!(bad.diagnostics[0].detail.contains("terraform import"));
    }

    /// Generated client tokens are 32 hex characters, differ, and pass validation.
    #[test]
    fn client_tokens() {
        let a = new_client_token();
        let b = new_client_token();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(check_client_token(&a).is_ok());
    }

    /// The refresh window starts a day before the known start time.
    #[test]
    fn window_from_start_time() {
        let state = config(&[("start_time", Value::string("2025-01-02T03:04:05Z"))]);
        let start = timefmt::unix_secs(window_start(&state));
        assert_eq!(
            start,
            timefmt::parse_iso8601("2025-01-01T03:04:05Z").unwrap()
        );
    }
}
