//! Plan-time checks of a backup create, so that a plan fails instead of an apply half done:
//! the cluster or instance exists and is `Running`, and (PolarDB) the cluster's three manual
//! backup slots are not all taken by the backups it holds plus the creates this plan makes.
//!
//! What is shared, per configured provider (Terraform starts a process per phase and configures
//! it once; a `--debug` process is configured once per command): one status call and
//! one listing of manual backups per cluster, made on the first planned create of that cluster
//! and reused by every other; the number of creates planned for it; the backups replaced by a
//! planned create; and the backups seen in some resource's prior state (which Terraform
//! manages). Nothing is called when nothing is created.
//!
//! Replacements: Terraform plans a replacement twice, first with the prior state (the answer
//! requires replacement; this check then records, in the planned private data, which backup is
//! being replaced) and again as a create with a null prior state and that private data. The
//! default (destroy before create) frees the old backup's slot first. The provider cannot see
//! `create_before_destroy`, so when only that order would overflow, the plan gets a warning.
//!
//! In the apply phase Terraform plans each create again, after earlier changes of the same
//! apply may have deleted backups. Before failing, the check therefore lists once more and
//! counts the backups that exist now plus the planned creates not yet made; only a plan that
//! would still overflow fails. A passing plan costs exactly one listing per cluster.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::alicloud::polardb::{self, Backup, DescribeBackups};
use crate::alicloud::{targets, ApiError, Client, ErrorKind};
use crate::diagnostics::{self as diag, AttributePath, Diagnostic};
use crate::redact::debug_fields;
use crate::resource::{plan_with_schema, Ctx, PlanRequest, PlanResponse};
use crate::schema::Schema;
use crate::tfvalue::Value;
use crate::timefmt;

/// A PolarDB cluster holds at most this many manual backups.
pub const MANUAL_BACKUP_QUOTA: usize = 3;

/// The status that allows a backup, for both products.
const RUNNING: &str = "Running";

/// The planned private data of a replacement: this prefix and the replaced backup's ID.
const REPLACES: &[u8] = b"quota-replaces:";

/// How far back the listing looks.
const LOOKBACK: Duration = super::BACKUP_LOOKBACK;

/// The PolarDB backup resource's plan: the generic planner, then the checks.
pub async fn plan_polardb(ctx: &Ctx, schema: &Schema, req: PlanRequest) -> PlanResponse {
    let (prior, private) = (req.prior_state.clone(), req.prior_private.clone());
    let mut resp = plan_with_schema(schema, req);
    if let Ok(provider) = ctx.provider() {
        provider
            .extensions
            .get::<Checks>()
            .check_polardb(ctx, &prior, &private, &mut resp)
            .await;
    }
    resp
}

/// What the checks remember for one configured provider (in [`ProviderData::extensions`]):
/// Terraform configures the provider once per command, in a process of its own unless the
/// provider runs with `--debug`, which serves many commands from one process. Remembering per
/// process there would count the creates of every command together.
///
/// [`ProviderData::extensions`]: crate::provider::ProviderData::extensions
#[derive(Default)]
pub struct Checks {
    clusters: Mutex<HashMap<String, Arc<Cluster>>>,
    instances: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<Lookup<String>>>>>,
    /// `<cluster>:<backup_id>` of every backup seen in a prior state.
    managed: Mutex<HashSet<String>>,
    /// Objects a Read found marked by a create that failed after the backup existed
    /// (`lifecycle::mark_unfinished`), by resource type: Terraform plans their replacement.
    unfinished: Mutex<Vec<(&'static str, Value)>>,
}

/// What a planned create will do about a backup already in a tainted state.
#[derive(Debug, PartialEq, Eq)]
enum Resuming {
    /// Nothing: it creates a backup.
    No,
    /// It takes the backup over: no CreateBackup, so no slot and no status to check.
    TakesOver,
    /// The backup failed: its replacement's delete deletes it (freeing its slot), then creates.
    Replaces(String),
}

/// What one call found: the answer, the target is gone, or the call failed (then the check
/// warns and lets the plan go on: the API will have the last word at apply).
#[derive(Clone, Debug)]
enum Lookup<T> {
    Found(T),
    /// Not found; the RequestId of the answer that said so.
    Missing(String),
    Failed(String),
}

/// One cluster's status and manual backups, and what this process planned for it.
#[derive(Default)]
struct Cluster {
    first: tokio::sync::OnceCell<Lookup<(String, Vec<Backup>)>>,
    plan: Mutex<Planned>,
}

impl Cluster {
    /// The cluster's status and manual backups, asked once per process.
    async fn snapshot(&self, client: &Client, cluster: &str) -> &Lookup<(String, Vec<Backup>)> {
        self.first
            .get_or_init(|| async {
                match targets::polardb_cluster_status(client, cluster).await {
                    Ok(status) if status != RUNNING => Lookup::Found((status, Vec::new())),
                    Ok(status) => match manual_backups(client, cluster).await {
                        Ok(backups) => Lookup::Found((status, backups)),
                        Err(e) => Lookup::Failed(
                            diag::api_error(&format!("list the manual backups of {cluster}"), &e)
                                .detail,
                        ),
                    },
                    Err(e) if e.kind == ErrorKind::NotFound => Lookup::Missing(request_id(&e)),
                    Err(e) => Lookup::Failed(
                        diag::api_error(&format!("read the status of cluster {cluster}"), &e)
                            .detail,
                    ),
                }
            })
            .await
    }
}

#[derive(Default)]
struct Planned {
    /// Backups whose replacement's first plan came, when the marker could not ride along.
    pending: Vec<String>,
    creates: usize,
    replaced: HashSet<String>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

debug_fields!(Checks {});

impl Checks {
    fn cluster(&self, id: &str) -> Arc<Cluster> {
        lock(&self.clusters)
            .entry(id.to_string())
            .or_default()
            .clone()
    }

    /// Remembers that Terraform manages this backup (it is in a prior state).
    pub fn saw_managed(&self, cluster: &str, backup_id: &str) {
        lock(&self.managed).insert(format!("{cluster}:{backup_id}"));
    }

    fn is_managed(&self, cluster: &str, backup_id: &str) -> bool {
        lock(&self.managed).contains(&format!("{cluster}:{backup_id}"))
    }

    /// Remembers a refreshed object whose create failed after the backup existed (Terraform
    /// keeps it tainted and plans its replacement next, with a null prior state).
    pub fn saw_unfinished(&self, type_name: &'static str, state: &Value) {
        lock(&self.unfinished).push((type_name, state.clone()));
    }

    /// What a create planned from nothing (`planned`) does about a tainted backup of the same
    /// arguments: taken over in this apply (handed over by its delete already), or in the plan
    /// phase one a Read saw marked unfinished (claimed once).
    fn resuming(&self, type_name: &'static str, planned: &Value, keys: &[&str]) -> Resuming {
        if super::lifecycle::is_handed_over(type_name, planned, keys) {
            return Resuming::TakesOver;
        }
        let mut seen = lock(&self.unfinished);
        let Some(at) = seen.iter().position(|(t, state)| {
            *t == type_name && super::lifecycle::same_arguments(planned, state, keys)
        }) else {
            return Resuming::No;
        };
        let (_, state) = seen.remove(at);
        if state.str_attr("status") != Some("Failed") {
            return Resuming::TakesOver;
        }
        match state.str_attr("backup_id") {
            Some(b) if !b.is_empty() => Resuming::Replaces(b.to_string()),
            _ => Resuming::No,
        }
    }

    /// Checks a PolarDB plan: `resp` is the generic planner's answer for `prior` (and its
    /// private data); the checks add their diagnostics to it (and a replacement's marker).
    pub async fn check_polardb(
        &self,
        ctx: &Ctx,
        prior: &Value,
        prior_private: &[u8],
        resp: &mut PlanResponse,
    ) {
        if let (Some(c), Some(b)) = (prior.str_attr("db_cluster_id"), prior.str_attr("backup_id")) {
            self.saw_managed(c, b);
        }
        if resp.planned_state.is_null() || crate::diagnostics::has_errors(&resp.diagnostics) {
            return;
        }
        if !prior.is_null() {
            // A replacement's first plan: say which backup goes, for the create's plan.
            if !resp.requires_replace.is_empty() {
                if let (Some(b), Some(c)) =
                    (prior.str_attr("backup_id"), prior.str_attr("db_cluster_id"))
                {
                    if resp.planned_private.is_empty() {
                        resp.planned_private = [REPLACES, b.as_bytes()].concat();
                    } else {
                        // The resource keeps private data: remember the replacement here.
                        lock(&self.cluster(c).plan).pending.push(b.to_string());
                    }
                }
                // Terraform shows only the errors of the create's plan, not its warnings.
                if let (Some(cluster), Ok(provider)) =
                    (resp.planned_state.str_attr("db_cluster_id"), ctx.provider())
                {
                    if self.replacement_overflows(&provider.polardb, cluster).await {
                        resp.diagnostics.push(replacement_warning(cluster));
                    }
                }
            }
            return;
        }
        let mut replaces = prior_private
            .strip_prefix(REPLACES)
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(str::to_string);
        if replaces.is_some() {
            resp.planned_private = Vec::new();
        }
        // Unknown until apply: the apply phase's plan checks it then.
        let Some(cluster) = planned_text(resp, "db_cluster_id") else {
            return;
        };
        if replaces.is_none() && !prior_private.is_empty() {
            replaces = lock(&self.cluster(&cluster).plan).pending.pop();
        }
        // A tainted backup's replacement that will take it over creates nothing.
        if replaces.is_none()
            && crate::resource::private_note(prior_private, "planned").as_deref()
                != Some("from-prior")
        {
            match self.resuming(
                super::polardb_backup::TYPE,
                &resp.planned_state,
                super::polardb_backup::RESUME_KEYS,
            ) {
                Resuming::TakesOver => return,
                Resuming::Replaces(b) => replaces = Some(b),
                Resuming::No => {}
            }
        }
        let provider = match ctx.provider() {
            Ok(p) => p,
            Err(_) => return,
        };
        let diagnostics = self
            .check_polardb_create(&provider.polardb, &cluster, replaces)
            .await;
        resp.diagnostics.extend(diagnostics);
    }

    /// Counts one planned create on `cluster` (replacing backup `replaces`) and checks it.
    async fn check_polardb_create(
        &self,
        client: &Client,
        cluster: &str,
        replaces: Option<String>,
    ) -> Vec<Diagnostic> {
        let entry = self.cluster(cluster);
        let (creates, replaced) = {
            let mut p = lock(&entry.plan);
            p.creates += 1;
            if let Some(r) = replaces {
                p.replaced.insert(r);
            }
            (p.creates, p.replaced.clone())
        };
        let first = entry.snapshot(client, cluster).await;
        let (status, listed) = match first {
            Lookup::Found(found) => found,
            Lookup::Missing(request) => {
                return vec![target_missing(
                    "PolarDB cluster",
                    cluster,
                    request,
                    "db_cluster_id",
                )]
            }
            Lookup::Failed(why) => return vec![not_checked("PolarDB cluster", cluster, why)],
        };
        if status != RUNNING {
            return vec![target_not_running(
                "PolarDB cluster",
                cluster,
                status,
                "db_cluster_id",
            )];
        }
        let count = Count::of(listed, &replaced, creates);
        if count.if_destroy_first() <= MANUAL_BACKUP_QUOTA {
            // A replacement's create-first risk was warned about in its first plan.
            return Vec::new();
        }
        // Over: unless backups went away since the listing (an apply deleting some first).
        let now = match manual_backups(client, cluster).await {
            Ok(now) => now,
            Err(_) => listed.clone(),
        };
        let known: HashSet<&str> = listed.iter().map(|b| b.backup_id.as_str()).collect();
        let made_since = now
            .iter()
            .filter(|b| !known.contains(b.backup_id.as_str()))
            .count();
        let recount = Count::of(&now, &replaced, creates.saturating_sub(made_since));
        if recount.if_destroy_first() <= MANUAL_BACKUP_QUOTA {
            return Vec::new();
        }
        vec![self.quota_exceeded(cluster, &now, &replaced, creates)]
    }

    /// Whether one more backup on `cluster` (a replacement's create, made before its destroy)
    /// would overflow, counting the creates planned so far.
    async fn replacement_overflows(&self, client: &Client, cluster: &str) -> bool {
        let entry = self.cluster(cluster);
        let creates = lock(&entry.plan).creates;
        match entry.snapshot(client, cluster).await {
            Lookup::Found((status, listed)) if status == RUNNING => {
                listed.len() + creates + 1 > MANUAL_BACKUP_QUOTA
            }
            _ => false,
        }
    }

    fn quota_exceeded(
        &self,
        cluster: &str,
        holders: &[Backup],
        replaced: &HashSet<String>,
        creates: usize,
    ) -> Diagnostic {
        let lines: Vec<String> = holders
            .iter()
            .filter(|b| !replaced.contains(&b.backup_id))
            .map(|b| {
                let who = if self.is_managed(cluster, &b.backup_id) {
                    "managed by Terraform"
                } else {
                    "not known to be managed by Terraform"
                };
                let started = if b.backup_start_time.is_empty() {
                    "start time not reported"
                } else {
                    &b.backup_start_time
                };
                format!(
                    "- {} (started {started}, {}, {who})",
                    b.backup_id, b.backup_status
                )
            })
            .collect();
        diag::Diagnostic::error(
            "Manual backup quota of the PolarDB cluster would be exceeded",
            format!(
                "PolarDB cluster {cluster} holds at most {MANUAL_BACKUP_QUOTA} manual backups. It \
                 has {} and this plan creates {creates} more, so CreateBackup would fail during \
                 apply. The backups holding the slots:\n{}\nFree a slot before applying: remove \
                 a managed backup's resource from the configuration (its backup is deleted), \
                 or delete an unmanaged backup in the PolarDB console; then plan again.",
                lines.len(),
                lines.join("\n")
            ),
        )
        .at(AttributePath::attr("db_cluster_id"))
    }

    /// Checks a PolarDB-X plan: a create on an instance that is gone or not running
    /// fails the plan. One status call per instance per process.
    pub async fn check_polardbx(&self, ctx: &Ctx, prior_is_null: bool, resp: &mut PlanResponse) {
        let creating = prior_is_null || !resp.requires_replace.is_empty();
        if !creating || resp.planned_state.is_null() || diag::has_errors(&resp.diagnostics) {
            return;
        }
        let Some(instance) = planned_text(resp, "db_instance_name") else {
            return;
        };
        // A tainted set's replacement that will take it over creates nothing.
        if prior_is_null
            && self.resuming(
                super::polardbx_backup::TYPE,
                &resp.planned_state,
                super::polardbx_backup::RESUME_KEYS,
            ) == Resuming::TakesOver
        {
            return;
        }
        let Ok(provider) = ctx.provider() else {
            return;
        };
        let region = match resp.planned_state.get("region_id") {
            Some(Value::Unknown) => return,
            _ => resp
                .planned_state
                .str_attr("region_id")
                .unwrap_or(&provider.region)
                .to_string(),
        };
        let key = format!("{region}:{instance}");
        let cell = lock(&self.instances).entry(key).or_default().clone();
        let found = cell
            .get_or_init(|| async {
                let client = match provider.polardbx_in(&region) {
                    Ok(c) => c,
                    Err(e) => return Lookup::Failed(e.message.clone()),
                };
                match targets::polardbx_instance_status(&client, &region, &instance).await {
                    Ok(status) => Lookup::Found(status),
                    Err(e) if e.kind == ErrorKind::NotFound => Lookup::Missing(request_id(&e)),
                    Err(e) => Lookup::Failed(
                        diag::api_error(&format!("read the status of instance {instance}"), &e)
                            .detail,
                    ),
                }
            })
            .await;
        let d = match found {
            Lookup::Found(s) if s == RUNNING => return,
            Lookup::Found(s) => {
                target_not_running("PolarDB-X instance", &instance, s, "db_instance_name")
            }
            Lookup::Missing(request) => {
                target_missing("PolarDB-X instance", &instance, request, "db_instance_name")
            }
            Lookup::Failed(why) => not_checked("PolarDB-X instance", &instance, why),
        };
        resp.diagnostics.push(d);
    }
}

/// Slots a cluster's creates need: `held` backups (not being replaced) and the planned
/// `creates` (replaced backups that are listed free their slots first).
struct Count {
    held: usize,
    creates: usize,
}

impl Count {
    fn of(listed: &[Backup], replaced: &HashSet<String>, creates: usize) -> Count {
        let freed = listed
            .iter()
            .filter(|b| replaced.contains(&b.backup_id))
            .count();
        Count {
            held: listed.len() - freed,
            creates,
        }
    }

    /// Backups once every create is made, the replaced ones deleted first (Terraform's default).
    fn if_destroy_first(&self) -> usize {
        self.held + self.creates
    }
}

/// The cluster's manual backups that hold a slot (every status but `Failed`), all pages.
async fn manual_backups(client: &Client, cluster: &str) -> Result<Vec<Backup>, ApiError> {
    let now = SystemTime::now();
    let query = |page| DescribeBackups {
        db_cluster_id: cluster.to_string(),
        backup_mode: Some("Manual".into()),
        start_time: timefmt::iso8601_minutes(now.checked_sub(LOOKBACK).unwrap_or(now)),
        end_time: timefmt::iso8601_minutes(now + Duration::from_secs(86_400)),
        page_number: page,
        page_size: 100,
        ..DescribeBackups::default()
    };
    let backups = crate::alicloud::paging::all_pages(100, |page| {
        let q = query(page);
        async move {
            let p = polardb::describe_backups(client, &q).await?;
            Ok((p.items, p.total_record_count))
        }
    })
    .await?;
    Ok(backups
        .into_iter()
        .filter(|b| b.backup_mode.is_empty() || b.backup_mode == "Manual")
        .filter(|b| b.backup_status != "Failed")
        .collect())
}

/// The planned string `name`: `None` while it is unknown (the apply phase's plan checks it).
fn planned_text(resp: &PlanResponse, name: &str) -> Option<String> {
    resp.planned_state.str_attr(name).map(str::to_string)
}

fn request_id(e: &ApiError) -> String {
    e.request_id.clone().unwrap_or_else(|| "none".into())
}

fn target_missing(what: &str, id: &str, request: &str, attribute: &str) -> Diagnostic {
    Diagnostic::error(
        format!("The {what} does not exist"),
        format!(
            "{what} {id} was not found in this region, so no backup of it can be made. \
             Check {attribute} and the provider's region.\n\nRequestId: {request}"
        ),
    )
    .at(AttributePath::attr(attribute))
}

fn target_not_running(what: &str, id: &str, status: &str, attribute: &str) -> Diagnostic {
    Diagnostic::error(
        format!("The {what} is not in a state that allows backups"),
        format!(
            "{what} {id} is in status {status}; a backup needs it Running. Wait until it is \
             Running, then plan again."
        ),
    )
    .at(AttributePath::attr(attribute))
}

fn not_checked(what: &str, id: &str, why: &str) -> Diagnostic {
    Diagnostic::warning(
        format!("Could not check the {what} before creating a backup"),
        format!(
            "The plan goes on without the check of {what} {id}; the create may still fail \
             during apply. What failed: {why}"
        ),
    )
}

fn replacement_warning(cluster: &str) -> Diagnostic {
    Diagnostic::warning(
        "A replaced backup frees its slot only if it is destroyed first",
        format!(
            "This plan replaces a backup of PolarDB cluster {cluster}, which is at its quota of \
             {MANUAL_BACKUP_QUOTA} manual backups. Terraform's default order (destroy, then \
             create) frees the slot first; with lifecycle create_before_destroy the create \
             would fail. Remove create_before_destroy from this resource if it is set."
        ),
    )
    .at(AttributePath::attr("db_cluster_id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backup(id: &str) -> Backup {
        Backup {
            backup_id: id.into(),
            backup_status: "Success".into(),
            backup_start_time: "2026-01-02T03:04:05Z".into(),
            ..Backup::default()
        }
    }

    /// A replaced backup that is listed frees its slot; without replacement the create overflows.
    #[test]
    fn counts() {
        let listed = vec![backup("1"), backup("2"), backup("3")];
        let replaced: HashSet<String> = ["3".to_string()].into();
        let c = Count::of(&listed, &replaced, 1);
        assert_eq!(c.if_destroy_first(), 3);
        let c = Count::of(&listed, &HashSet::new(), 1);
        assert_eq!(c.if_destroy_first(), 4);
    }

    /// The message lists each holder with its start time and whether Terraform manages it.
    #[test]
    fn message_lists_holders() {
        let checks = Checks::default();
        checks.saw_managed("pc-a", "1");
        let d = checks.quota_exceeded("pc-a", &[backup("1"), backup("2")], &HashSet::new(), 2);
        assert!(d.is_error());
        assert!(
            d.detail
                .contains("- 1 (started 2026-01-02T03:04:05Z, Success, managed by Terraform)"),
            "{}",
            d.detail
        );
        assert!(
            d.detail
                .contains("- 2 (started 2026-01-02T03:04:05Z, Success, not known to be managed"),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("creates 2 more"));
        assert!(!d.detail.contains("  "), "no runs of spaces: {}", d.detail);
    }

    /// The checks of a plan of backup pc-a:9 kept as it is, but for `requires_replace`,
    /// without a configured provider.
    async fn plan_of_prior(requires_replace: Vec<AttributePath>) -> (Checks, PlanResponse) {
        let checks = Checks::default();
        let prior = Value::object([
            ("db_cluster_id", Value::string("pc-a")),
            ("backup_id", Value::string("9")),
        ]);
        let mut resp = PlanResponse {
            planned_state: prior.clone(),
            requires_replace,
            ..PlanResponse::default()
        };
        checks
            .check_polardb(&Ctx::unconfigured(), &prior, &[], &mut resp)
            .await;
        (checks, resp)
    }

    /// A destroy plan and an unchanged resource make no call (no provider is even needed).
    #[tokio::test]
    async fn nothing_created_nothing_called() {
        let (checks, resp) = plan_of_prior(Vec::new()).await;
        assert!(resp.diagnostics.is_empty());
        assert!(checks.is_managed("pc-a", "9"));
        assert!(lock(&checks.clusters).is_empty());
    }

    /// A replacement's first plan marks the replaced backup for the create's plan.
    #[tokio::test]
    async fn replacement_marks_private() {
        let (_, resp) = plan_of_prior(vec![AttributePath::attr("comment")]).await;
        assert_eq!(resp.planned_private, b"quota-replaces:9".to_vec());
    }
}
