//! `alicloud_polardb_backup`: a manual backup of a PolarDB cluster (API 2017-08-01).
//!
//! Create calls CreateBackup with one `client_token` for every attempt (generated when the
//! configuration leaves it out, and kept in state), so a retried create never makes a second
//! backup. Once the API returned the backup's ID, that ID reaches state whatever fails after.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::arguments;
use super::ids::{check_cluster_id, parse_polardb_backup_id, polardb_backup_id};
use super::lifecycle::{
    failed, finish_wait, hand_over, invalid_import_id, kept, mark_unfinished, note_unfinished,
    plan_wait, provider_and_timeouts, read_answer, read_failed, schema_defaults,
    unique_client_token, update_in_place, Creation, IdArgument, Opening, WaitFor,
};
use super::mapping::{self, text};
use super::polardb_job::{self, Job, Lookup, RUNNING};
use super::timeouts::{self, Timeouts};
use super::waiter::{self, Poll, Schedule, WaitError};
use super::{check_attr, checked_with_timeouts, one_of};
use crate::alicloud::polardb::{self, Backup};
use crate::alicloud::polardb_detached::{describe_page, Listing};
use crate::alicloud::{ApiError, ErrorKind};
use crate::diagnostics::{self as diag, AttributePath, Diagnostic, Diagnostics};
use crate::provider::ProviderData;
use crate::resource::{
    planned_as_new, ApplyResponse, Ctx, ImportResponse, PlanRequest, PlanResponse, ReadResponse,
    Resource,
};
use crate::schema::{Attribute, Block, Schema};
use crate::tfvalue::{Type, Value};
use crate::timefmt;

/// What the diagnostics call this resource's object.
const WHAT: &str = "PolarDB backup";

pub(super) const TYPE: &str = "alicloud_polardb_backup";

/// The arguments that must be the same for a create to take over a tainted backup handed
/// over by its replacement's delete (see `lifecycle`).
pub(super) const RESUME_KEYS: &[&str] = &["db_cluster_id", "comment", "client_token"];

/// After a create, how long neither the job nor its backup may be listed before the provider
/// concludes that CreateBackup answered with a job it cannot follow.
const GONE_GRACE: Duration = Duration::from_secs(60);

const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(2 * 3600),
    delete: Duration::from_secs(20 * 60),
};

/// What a create starts from: the cluster it backs up (see `lifecycle::Creation`).
const CREATION: Creation = Creation {
    type_name: TYPE,
    resume_keys: RESUME_KEYS,
    timeouts: DEFAULT_TIMEOUTS,
    id: IdArgument {
        name: "db_cluster_id",
        missing: "The cluster ID is missing.",
        check: check_cluster_id,
        fix: "Use a PolarDB cluster ID (pc-...).",
    },
};

/// How far back a refresh looks when the backup's start time is not known (after an import):
/// DescribeBackups needs a window.
const UNKNOWN_START_LOOKBACK: Duration = super::BACKUP_LOOKBACK;

crate::schema::holds_schema!(PolardbBackup, TYPE);

// ----- schema -----

fn schema() -> Schema {
    let computed =
        |name: &str, description: &str| Attribute::computed(name, Type::String, description);
    let block = Block::new(
        "A manual backup of a PolarDB cluster. A cluster keeps at most 3 manual backups.",
    )
    .attribute(computed(
        "id",
        "`<db_cluster_id>:<backup_id>` (`<db_cluster_id>:<backup_job_id>` until the backup's ID \
         is known).",
    ))
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
            "The backup's description, sent to CreateBackup as `Comment` and read back. \
             Changing it replaces the backup.",
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
        "The backup's ID (the backup set the job made), as DescribeBackups and DeleteBackup \
         take it; null until the backup is listed.",
    ))
    .attribute(computed("status", "`Success`, `Failed`, or `Running`."))
    .attribute(computed("backup_method", "E.g. `Snapshot`."))
    .attribute(computed("backup_type", "E.g. `FullBackup`."))
    .attribute(computed("backups_level", "`Level-1` or `Level-2`."))
    .attribute(computed("start_time", "When the backup started (UTC)."))
    .attribute(computed("end_time", "When the backup ended (UTC)."))
    .attribute(arguments::size_bytes())
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
    // ----- validate -----

    fn validate(&self, config: &Value) -> Diagnostics {
        checked_with_timeouts(
            config,
            [
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
                "comment",
                check_comment,
                "Use at most 256 characters, or leave it out.",
            ),
            check_attr(
                config,
                "deletion_policy",
                one_of(&["Delete", "Retain"], "a deletion policy"),
                "Use \"Delete\" (the default) or \"Retain\".",
            ),
        ],
        )
    }

    // ----- plan -----

    /// The generic planner with the plan-time checks of a create (see `quota`), then a
    /// duplicate `client_token`, and a wait planned again for an unfinished backup.
    async fn plan(&self, ctx: &Ctx, req: PlanRequest) -> PlanResponse {
        let duplicate = unique_client_token(TYPE, &req);
        let prior = req.prior_state.clone();
        let mut resp = super::quota::plan_polardb(ctx, &self.schema, req).await;
        resp.diagnostics.extend(duplicate);
        let id_known = prior.str_attr("backup_id").is_some_and(|b| !b.is_empty());
        let ids: &[&str] = if id_known { &[] } else { &["id", "backup_id"] };
        plan_wait(
            &mut resp,
            &prior,
            &["Success", "Failed"],
            &[
                ids,
                &[
                    "backup_method",
                    "backup_type",
                    "backups_level",
                    "start_time",
                    "end_time",
                    "size_bytes",
                    "consistent_time",
                    "expire_time",
                ],
            ]
            .concat(),
        );
        resp
    }

    // ----- create -----

    /// A create whose answer saves the backup with an error is marked unfinished (see
    /// `lifecycle::mark_unfinished`), so the next plan knows its replacement creates nothing.
    async fn create(&self, ctx: &Ctx, planned: Value, _config: Value) -> ApplyResponse {
        let (provider, timeouts, cluster) = match CREATION.open(ctx, &planned) {
            Opening::New(provider, timeouts, cluster) => (provider, timeouts, cluster),
            Opening::TakeOver(prior) => return resume(ctx, prior, planned).await,
            Opening::Failed(answer) => return answer,
        };
        let token = planned
            .str_attr("client_token")
            .map_or_else(new_client_token, str::to_string);
        let comment = planned.str_attr("comment").map(str::to_string);
        let requested = SystemTime::now();

        let created = polardb::create_backup_with_comment(
            &provider.polardb,
            &cluster,
            &token,
            comment.as_deref(),
        )
        .await;
        let job_id = match created {
            Ok(id) if !id.is_empty() => id,
            Ok(_) => {
                return failed(Diagnostic::error(
                    "CreateBackup returned no backup job ID",
                    format!(
                        "PolarDB accepted the backup request for {cluster} but returned no \
                         BackupJobId, so the provider cannot track it. Find the new backup's ID \
                         with the alicloud_polardb_backups data source and import it with \
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
        tracing::info!(
            cluster = cluster.as_str(),
            job_id = job_id.as_str(),
            "PolarDB backup job started"
        );

        let mut state = planned;
        state.set("id", Value::string(polardb_backup_id(&cluster, &job_id)));
        state.set("backup_job_id", Value::string(&job_id));
        state.set("backup_id", Value::Null);
        state.set("client_token", Value::string(&token));
        state.set("status", Value::string(RUNNING));
        state.set(
            "start_time",
            Value::string(timefmt::iso8601_seconds(requested)),
        );
        let Some(job) = job_of(&state) else {
            return failed(corrupt_state());
        };
        wait_and_finish(WaitFor::Create, provider, state, job, timeouts, ctx).await
    }

    // ----- read -----

    async fn read(&self, ctx: &Ctx, current: Value, private: Vec<u8>) -> ReadResponse {
        let provider = match ctx.provider() {
            Ok(p) => p,
            Err(d) => return read_failed(current, private, d),
        };
        let Some(job) = job_of(&current) else {
            return read_failed(current, private, corrupt_state());
        };
        let since = window_start(&current);
        let found = match polardb_job::look(provider, &provider.polardb, &job, since).await {
            // The cluster is gone: a backup it was released with is kept apart (see `kept`).
            Err(e) if e.kind == ErrorKind::NotFound => {
                match kept_after_release(provider, &job, since).await {
                    Ok(Some(b)) => Ok(Lookup::Listed(Box::new(b))),
                    Ok(None) => Err(e),
                    Err(k) if k.kind == ErrorKind::NotFound => Err(e),
                    Err(k) => Err(k),
                }
            }
            other => other,
        };
        let id = format!("{}:{}", job.cluster, job.job_id);
        let resp = read_answer(
            current,
            private,
            found.map(|lookup| match lookup {
                Lookup::Gone => None,
                other => Some(other),
            }),
            (WHAT, &id),
            &self.schema.block,
            |state, lookup| match lookup {
                Lookup::Listed(b) => fill(state, &b),
                Lookup::Running { job_start, .. } => {
                    state.set("status", Value::string(RUNNING));
                    if let Some(start) = job_start {
                        state.set("start_time", Value::string(start));
                    }
                }
                Lookup::Gone => {}
            },
        );
        note_unfinished(provider, TYPE, &resp);
        resp
    }

    // ----- update -----

    /// An in-place update only changes how the provider behaves, except the wait that
    /// [`plan_wait`] plans for an unfinished backup: that waits for it.
    async fn update(&self, ctx: &Ctx, prior: Value, planned: Value) -> ApplyResponse {
        let wait = |state| wait_for_state(ctx, state, WaitFor::Update);
        update_in_place(&self.schema.block, &prior, planned, wait).await
    }

    // ----- delete -----

    async fn delete(&self, ctx: &Ctx, prior: Value) -> Diagnostics {
        self.delete_planned(ctx, prior, &[]).await
    }

    async fn delete_planned(&self, ctx: &Ctx, prior: Value, planned_private: &[u8]) -> Diagnostics {
        let Some(job) = job_of(&prior) else {
            return vec![corrupt_state()];
        };
        let id = prior.str_attr("id").unwrap_or_default().to_string();
        if prior.str_attr("deletion_policy") == Some("Retain") {
            return vec![diag::retained_warning(&id)];
        }
        if planned_as_new(planned_private) && prior.str_attr("status") != Some("Failed") {
            // The replacement of a tainted backup: its create follows and takes this one over.
            hand_over(TYPE, prior);
            return Vec::new();
        }
        let (provider, timeouts) = match provider_and_timeouts(ctx, &prior, DEFAULT_TIMEOUTS) {
            Ok(found) => found,
            Err(d) => return d,
        };
        let deadline = std::time::Instant::now() + timeouts.delete;
        let since = window_start(&prior);
        // A backup still running cannot be deleted (and may not have its ID yet): wait for it
        // to finish first, within the same delete timeout.
        let finished = prior.str_attr("status").is_some_and(is_finished);
        let backup_id = match job.backup_id.clone() {
            Some(b) if finished => b,
            _ => {
                let waited = wait_for_job(
                    provider,
                    job.clone(),
                    since,
                    timeouts.delete,
                    &ctx.stop,
                    true,
                )
                .await;
                match waited {
                    Ok(Some(b)) => b.backup_id,
                    Ok(None) => return Vec::new(),
                    Err(WaitError::Api { error, .. }) if error.kind == ErrorKind::NotFound => {
                        return Vec::new()
                    }
                    Err(WaitError::Api { error, .. }) => {
                        return vec![diag::api_error(
                            &format!("check backup {id} before deleting it"),
                            &error,
                        )]
                    }
                    Err(WaitError::Timeout { status, .. }) => {
                        return vec![diag::still_running_at_delete(WHAT, &id, &status)]
                    }
                    Err(WaitError::Stopped { .. }) => {
                        return vec![diag::delete_interrupted(WHAT, &id, false)]
                    }
                }
            }
        };
        let cluster = job.cluster.as_str();
        let id = polardb_backup_id(cluster, &backup_id);
        match polardb::delete_backup(&provider.polardb, cluster, &backup_id).await {
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
                match polardb_job::find_backup(client, cluster, &backup_id, since).await {
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
                     {}s (status {status}). It stays in the state. Run `terraform destroy` \
                     again, or raise `timeouts.delete`.",
                    waited.as_secs()
                ),
            )
            .at(AttributePath::attr("timeouts").then("delete"))],
            Err(WaitError::Stopped { .. }) => vec![diag::delete_interrupted(WHAT, &id, true)],
            Err(WaitError::Api { error, .. }) => vec![diag::api_error(
                &format!("confirm the deletion of {id}"),
                &error,
            )],
        }
    }

    // ----- import -----

    async fn import(&self, _ctx: &Ctx, id: &str) -> ImportResponse {
        let (cluster, backup_id) = match parse_polardb_backup_id(id) {
            Ok(parts) => parts,
            Err(problem) => return invalid_import_id(
                &problem,
                "terraform import alicloud_polardb_backup.example pc-bp1abc2def3gh4ijk:1234567890 \
                 (the data source alicloud_polardb_backups lists the IDs)",
            ),
        };
        let mut state = Value::null_object(&self.schema.value_type());
        state.set("id", Value::string(polardb_backup_id(&cluster, &backup_id)));
        state.set("db_cluster_id", Value::string(cluster));
        state.set("backup_id", Value::string(&backup_id));
        state.set("backup_job_id", Value::string(backup_id));
        schema_defaults(&self.schema.block, &mut state);
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
        "The state holds neither db_cluster_id and backup_job_id nor an ID of the form \
         \"<db_cluster_id>:<backup_id>\". Remove it with `terraform state rm` and import it again.",
    )
}

/// The create half of a tainted backup's replacement: the handed-over backup, waited for under
/// the arguments planned now. Every answer carries its state.
async fn resume(ctx: &Ctx, prior: Value, planned: Value) -> ApplyResponse {
    let mut state = planned;
    for name in [
        "id",
        "backup_job_id",
        "backup_id",
        "client_token",
        "status",
        "start_time",
    ] {
        state.set(name, prior.get(name).cloned().unwrap_or(Value::Null));
    }
    tracing::info!(
        id = state.str_attr("id").unwrap_or_default(),
        "resuming the tainted backup instead of creating another"
    );
    wait_for_state(ctx, state, WaitFor::Create).await
}

/// Waits for the backup `state` names (handed over, or already in state), within
/// `timeouts.create`; whatever fails, the answer keeps `state`.
async fn wait_for_state(ctx: &Ctx, state: Value, phase: WaitFor) -> ApplyResponse {
    let Some(job) = job_of(&state) else {
        return kept(phase, state, corrupt_state());
    };
    let (provider, timeouts) = match provider_and_timeouts(ctx, &state, DEFAULT_TIMEOUTS) {
        Ok(found) => found,
        Err(mut d) => return kept(phase, state, d.remove(0)),
    };
    wait_and_finish(phase, provider, state, job, timeouts, ctx).await
}

/// The job a state follows: its cluster, job and (when known) backup IDs, from its attributes
/// or else from its `id` (then the job and the backup share the ID, as after an old import).
fn job_of(state: &Value) -> Option<Job> {
    let attr = |name: &str| state.str_attr(name).filter(|v| !v.is_empty());
    let (cluster, job_id, backup_id) = match (
        attr("db_cluster_id"),
        attr("backup_job_id"),
        attr("backup_id"),
    ) {
        (Some(c), Some(j), b) => (c.to_string(), j.to_string(), b.map(str::to_string)),
        (Some(c), None, Some(b)) => (c.to_string(), b.to_string(), Some(b.to_string())),
        _ => {
            let (c, b) = parse_polardb_backup_id(attr("id")?).ok()?;
            (c, b.clone(), Some(b))
        }
    };
    let now = timefmt::unix_secs(SystemTime::now());
    Some(Job {
        cluster,
        job_id,
        backup_id,
        anchor: attr("start_time")
            .and_then(timefmt::parse_iso8601)
            .unwrap_or(now),
        comment: attr("comment").unwrap_or_default().to_string(),
        tasks_first: false,
    })
}

/// The backup `job` made, among those its released cluster was released with
/// (DescribeDetachedBackups): a retained backup that outlives its cluster stays in state and
/// importable. Looked up by its backup ID, else by the job's ID (equal where the API says so).
async fn kept_after_release(
    provider: &ProviderData,
    job: &Job,
    since: SystemTime,
) -> Result<Option<Backup>, ApiError> {
    let id = job.backup_id.clone().unwrap_or_else(|| job.job_id.clone());
    let query = polardb::DescribeBackups {
        db_cluster_id: job.cluster.clone(),
        backup_id: Some(id.clone()),
        start_time: timefmt::iso8601_minutes(since),
        end_time: timefmt::iso8601_minutes(SystemTime::now() + Duration::from_secs(86_400)),
        page_number: 1,
        page_size: 30,
        ..polardb::DescribeBackups::default()
    };
    let (page, comments) = describe_page(&provider.polardb, Listing::Detached, &query).await?;
    Ok(page
        .items
        .into_iter()
        .zip(comments.into_iter().chain(std::iter::repeat(String::new())))
        .find(|(b, _)| b.backup_id == id)
        .map(|(mut b, comment)| {
            if b.comment.is_empty() {
                b.comment = comment;
            }
            b
        }))
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

/// Waits for `job` (unless `wait_for_completion` is false) and answers with the state.
async fn wait_and_finish(
    phase: WaitFor,
    provider: &ProviderData,
    state: Value,
    job: Job,
    timeouts: Timeouts,
    ctx: &Ctx,
) -> ApplyResponse {
    let id = state.str_attr("id").unwrap_or_default().to_string();
    let since = window_start(&state);
    let wait = async {
        match wait_for_job(
            provider,
            job.clone(),
            since,
            timeouts.create,
            &ctx.stop,
            false,
        )
        .await
        {
            Ok(Some(b)) => Ok(b),
            Ok(None) => Err(WaitError::Api {
                error: vanished(&job),
                last: None,
            }),
            Err(e) => Err(e),
        }
    };
    let mut resp = finish_wait(phase, state, WHAT, &id, wait, fill, |b: &Backup| {
        b.backup_status == "Failed"
    })
    .await;
    if phase == WaitFor::Create {
        mark_unfinished(&mut resp);
    }
    for d in &mut resp.diagnostics {
        if d.detail.contains(VANISHED_CODE) {
            *d = diag::job_not_found(WHAT, &id, &job.job_id);
        }
    }
    resp
}

/// The code of the local error [`vanished`] makes.
const VANISHED_CODE: &str = "BackupJob.Vanished";

fn vanished(job: &Job) -> ApiError {
    ApiError::local(
        ErrorKind::NotFound,
        "DescribeBackupTasks",
        VANISHED_CODE,
        format!(
            "neither backup job {} nor a backup it made is listed",
            job.job_id
        ),
    )
}

/// Waits until the job's backup is `Success` or `Failed` (see [`polardb_job`] for one look).
/// `Ok(None)`: neither the job nor its backup is listed, for [`GONE_GRACE`] (at once when
/// `gone_is_final`, as for a delete).
async fn wait_for_job(
    provider: &ProviderData,
    job: Job,
    since: SystemTime,
    timeout: Duration,
    stop: &crate::resource::StopSignal,
    gone_is_final: bool,
) -> Result<Option<Backup>, WaitError<Backup>> {
    let what = format!("PolarDB backup job {}:{}", job.cluster, job.job_id);
    let job = std::sync::Mutex::new(job);
    // When neither the job nor its backup was first found missing, and whether either was seen.
    let first_gone = std::sync::Mutex::new((None::<std::time::Instant>, false));
    let client = &provider.polardb;
    let waited = waiter::wait_for(&what, timeout, &Schedule::default(), stop, || {
        let current = job.lock().ok().map(|j| j.clone());
        let job = &job;
        let first_gone = &first_gone;
        async move {
            let current = current.ok_or_else(vanished_poison)?;
            match polardb_job::look(provider, client, &current, since).await? {
                Lookup::Listed(b) => {
                    let b = *b;
                    if let Ok(mut g) = first_gone.lock() {
                        g.1 = true;
                    }
                    if let Ok(mut j) = job.lock() {
                        j.backup_id = Some(b.backup_id.clone());
                    }
                    if is_finished(&b.backup_status) {
                        Ok(Poll::Done(Some(b)))
                    } else {
                        let status = b.backup_status.clone();
                        Ok(Poll::Pending(Some(Some(b)), status))
                    }
                }
                Lookup::Running { progress, .. } => {
                    if let Ok(mut g) = first_gone.lock() {
                        g.1 = true;
                    }
                    if let Ok(mut j) = job.lock() {
                        j.tasks_first = true;
                    }
                    Ok(Poll::Pending(None, progress))
                }
                Lookup::Gone => {
                    let (since_gone, seen) = first_gone
                        .lock()
                        .map(|mut g| {
                            let seen = g.1;
                            (
                                g.0.get_or_insert_with(std::time::Instant::now).elapsed(),
                                seen,
                            )
                        })
                        .unwrap_or_default();
                    // Gone at the first look of a delete: nothing to wait for. Gone after the
                    // job was seen: the listing may lag the job, so give it the grace period.
                    if (gone_is_final && !seen) || since_gone >= GONE_GRACE {
                        Ok(Poll::Done(None))
                    } else {
                        Ok(Poll::Pending(None, "not listed yet".into()))
                    }
                }
            }
        }
    })
    .await;
    match waited {
        Ok(found) => Ok(found),
        Err(WaitError::Timeout {
            waited,
            status,
            last,
        }) => Err(WaitError::Timeout {
            waited,
            status,
            last: last.flatten(),
        }),
        Err(WaitError::Stopped { status, last }) => Err(WaitError::Stopped {
            status,
            last: last.flatten(),
        }),
        Err(WaitError::Api { error, last }) => Err(WaitError::Api {
            error,
            last: last.flatten(),
        }),
    }
}

fn vanished_poison() -> ApiError {
    ApiError::local(
        ErrorKind::Other,
        "DescribeBackupTasks",
        "Provider.Internal",
        "the wait's state was poisoned by a panic",
    )
}

fn is_finished(status: &str) -> bool {
    status == "Success" || status == "Failed"
}

/// Copies what DescribeBackups reports into the state: the backup's ID (and so the resource
/// ID), its computed values, and its comment when the service reports one.
fn fill(state: &mut Value, b: &Backup) {
    if let Some(cluster) = state.str_attr("db_cluster_id").map(str::to_string) {
        state.set(
            "id",
            Value::string(polardb_backup_id(&cluster, &b.backup_id)),
        );
    }
    state.set("backup_id", text(&b.backup_id));
    mapping::set_all(state, mapping::polardb_backup(b));
    if !b.comment.is_empty() {
        state.set("comment", Value::string(&b.comment));
    }
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
    crate::alicloud::sign::hex_lower(&bytes)
}

/// A comment: the API reference gives no limit; 256 characters keeps a typo'd file out.
fn check_comment(comment: &str) -> Result<(), String> {
    if comment.chars().count() > 256 {
        return Err(format!(
            "The comment has {} characters; at most 256 are accepted.",
            comment.chars().count()
        ));
    }
    Ok(())
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
    use crate::resources::assert_each_names;

    /// A wrong-product ID, a bad policy, a long token and a bad timeout each name their attribute.
    #[test]
    fn validate_names_attributes() {
        let timeouts = Value::object([
            ("create", Value::string("2 hours")),
            ("delete", Value::Null),
        ]);
        assert_each_names(
            &PolardbBackup::new(),
            &[
                (
                    &[("db_cluster_id", Value::string("pxc-abc"))],
                    AttributePath::attr("db_cluster_id"),
                ),
                (
                    &[("db_cluster_id", Value::string(""))],
                    AttributePath::attr("db_cluster_id"),
                ),
                (
                    &[("deletion_policy", Value::string("Keep"))],
                    AttributePath::attr("deletion_policy"),
                ),
                (
                    &[("client_token", Value::string("x".repeat(65)))],
                    AttributePath::attr("client_token"),
                ),
                (
                    &[("timeouts", timeouts)],
                    AttributePath::attr("timeouts").then("create"),
                ),
            ],
        );
    }

    /// Unknown values pass validation; a good configuration has no diagnostics.
    #[test]
    fn validate_unknown_and_good() {
        let r = PolardbBackup::new();
        let cfg = schema().config_with(&[
            ("db_cluster_id", Value::Unknown),
            ("deletion_policy", Value::Unknown),
        ]);
        assert!(r.validate(&cfg).is_empty());
        let cfg = schema().config_with(&[
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
        let state = schema().config_with(&[("start_time", Value::string("2025-01-02T03:04:05Z"))]);
        let start = timefmt::unix_secs(window_start(&state));
        assert_eq!(
            start,
            timefmt::parse_iso8601("2025-01-01T03:04:05Z").unwrap()
        );
    }
}
