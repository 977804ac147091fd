//! `alicloud_polardbx_backup`: a backup set of a PolarDB-X 2.0 instance (API 2020-02-02).
//!
//! CreateBackup has no idempotency token, so when an attempt's answer is lost the provider
//! looks for a manual backup set of the instance begun since the first attempt and adopts it
//! before trying again (see `polardbx_create`): a retry never leaves two backups where the
//! user declared one. The API
//! cannot delete a backup set, so destroy only forgets it, with a warning.

use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::arguments::{self, check_region_in_use};
use super::ids::{check_instance_name, parse_polardbx_backup_id, polardbx_backup_id};
use super::lifecycle::{
    failed, finish_wait, hand_over, invalid_import_id, kept, mark_unfinished, note_unfinished,
    plan_wait, provider_and_timeouts, read_answer, read_failed, schema_defaults, update_in_place,
    Creation, IdArgument, Opening, WaitFor,
};
use super::mapping::{self, status_name};
use super::polardbx_create::create_exactly_once;
use super::timeouts::{self, Timeouts};
use super::waiter::{self, Poll, Schedule, WaitError};
use super::{check_attr, checked_with_timeouts, one_of};
use crate::alicloud::polardbx::{self, BackupSet};
use crate::alicloud::{Client, ErrorKind};
use crate::diagnostics::{self as diag, Diagnostic, Diagnostics};
use crate::resource::{
    plan_with_schema, planned_as_new, ApplyResponse, Ctx, ImportResponse, PlanRequest,
    PlanResponse, ReadResponse, Resource,
};
use crate::schema::{Attribute, Block, Schema};
use crate::tfvalue::{Type, Value};

const WHAT: &str = "PolarDB-X backup set";

// Resuming after a create timeout (the shared mechanism of `lifecycle`): the arguments a
// create must share with a tainted set handed over by its replacement's delete.
pub(super) const TYPE: &str = "alicloud_polardbx_backup";
pub(super) const RESUME_KEYS: &[&str] = &["db_instance_name", "region_id", "backup_type"];

const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(2 * 3600),
    delete: Duration::from_secs(60),
};

/// What a create starts from: the instance it backs up (see `lifecycle::Creation`).
const CREATION: Creation = Creation {
    type_name: TYPE,
    resume_keys: RESUME_KEYS,
    timeouts: DEFAULT_TIMEOUTS,
    id: IdArgument {
        name: "db_instance_name",
        missing: "The instance name is missing.",
        check: check_instance_name,
        fix: "Use a PolarDB-X instance name (pxc-...).",
    },
};

/// The computed values an unfinished set does not have yet: unknown in its in-place wait's plan.
const FILLED_WHEN_DONE: &[&str] = &["backup_model", "begin_time", "end_time", "size_bytes"];

/// The only backup type the API documents: `"0"`, fast backup.
const BACKUP_TYPES: &[&str] = &["0"];

crate::schema::holds_schema!(PolardbxBackup, TYPE);

// ----- schema -----

fn schema() -> Schema {
    let computed =
        |name: &str, description: &str| Attribute::computed(name, Type::String, description);
    let block = Block::new(
        "A backup set of a PolarDB-X 2.0 instance. The API cannot delete backup sets: destroy \
         forgets it, and it stays until its retention period ends.",
    )
    .attribute(computed(
        "id",
        "`<region_id>:<db_instance_name>:<backup_set_id>`.",
    ))
    .attribute(
        arguments::instance_name("The instance to back up, e.g. `pxc-hzabc123`.").force_new(),
    )
    .attribute(arguments::region_id().force_new())
    .attribute(
        Attribute::optional(
            "backup_type",
            Type::String,
            "`\"0\"` (fast backup, the default and the only documented value).",
        )
        .default(Value::string("0"))
        .force_new(),
    )
    .attribute(
        Attribute::optional(
            "wait_for_completion",
            Type::Bool,
            "Wait until the backup set succeeds or fails (default `true`).",
        )
        .default(Value::Bool(true))
        .force_new(),
    )
    .attribute(computed("backup_set_id", "The backup set's ID."))
    .attribute(computed("status", "`Running`, `Success` or `Failed`."))
    .attribute(computed(
        "backup_model",
        "The API's `BackupModel`: `1` manual, `0` automatic.",
    ))
    .attribute(computed("begin_time", "When the backup began (UTC)."))
    .attribute(computed("end_time", "When the backup ended (UTC)."))
    .attribute(arguments::size_bytes())
    .block(timeouts::block(false, "2h", ""));
    Schema::new(0, block)
}

#[async_trait]
impl Resource for PolardbxBackup {
    // ----- validate -----

    fn validate(&self, config: &Value) -> Diagnostics {
        checked_with_timeouts(
            config,
            [
                arguments::check_instance(
                    config,
                    "Use the name of a PolarDB-X 2.0 instance, e.g. \"pxc-hzabc123\" (for PolarDB \
                 clusters use alicloud_polardb_backup).",
                ),
                arguments::check_region_id(config),
                check_attr(
                    config,
                    "backup_type",
                    one_of(BACKUP_TYPES, "a backup type the PolarDB-X API accepts"),
                    "Valid values: \"0\" (fast backup). Leave it out to use \"0\".",
                ),
            ],
        )
    }

    // ----- plan -----

    /// The generic plan, plus `region_id` defaulting to the provider's region on create, the
    /// plan-time check of a create, and a wait planned again for an unfinished set.
    async fn plan(&self, ctx: &Ctx, req: PlanRequest) -> PlanResponse {
        let prior = req.prior_state.clone();
        // Only a region left out of the configuration defaults; one that is configured but
        // unknown yet stays unknown.
        let defaulted =
            req.prior_state.is_null() && req.config.get("region_id").is_none_or(Value::is_null);
        let creating = req.prior_state.is_null();
        let mut resp = plan_with_schema(&self.schema, req);
        if let Some(p) = &ctx.provider {
            if defaulted {
                resp.planned_state
                    .set("region_id", Value::string(&p.region));
            }
            if let Some(region) = resp.planned_state.str_attr("region_id") {
                if let Err(d) = check_region_in_use(p, region, "region_id") {
                    resp.diagnostics.push(d);
                }
            }
        }
        // A create on an instance that is gone or not running fails here (see `quota`).
        if let Ok(provider) = ctx.provider() {
            provider
                .extensions
                .get::<super::quota::Checks>()
                .check_polardbx(ctx, creating, &mut resp)
                .await;
        }
        plan_wait(&mut resp, &prior, &["Success", "Failed"], FILLED_WHEN_DONE);
        resp
    }

    // ----- create -----

    async fn create(&self, ctx: &Ctx, planned: Value, _config: Value) -> ApplyResponse {
        let (provider, timeouts, instance) = match CREATION.open(ctx, &planned) {
            Opening::New(provider, timeouts, instance) => (provider, timeouts, instance),
            Opening::TakeOver(prior) => return resume(ctx, prior, planned).await,
            Opening::Failed(answer) => return answer,
        };
        let region = planned
            .str_attr("region_id")
            .unwrap_or(&provider.region)
            .to_string();
        if let Err(d) = check_region_in_use(provider, &region, "region_id") {
            return failed(d);
        }
        let backup_type = planned.str_attr("backup_type").unwrap_or("0").to_string();
        let client = match provider.polardbx_in(&region) {
            Ok(c) => c,
            Err(e) => return failed(diag::api_error("set up the PolarDB-X client", &e)),
        };
        let started = Instant::now();
        let deadline = started + timeouts.create;
        let set_id = match create_exactly_once(
            provider,
            &client,
            &region,
            &instance,
            &backup_type,
            deadline,
        )
        .await
        {
            Ok(id) => id,
            Err(d) => return failed(d),
        };
        let id = polardbx_backup_id(&region, &instance, &set_id);
        tracing::info!(id = id.as_str(), "PolarDB-X backup set created");

        let mut state = planned;
        state.set("id", Value::string(&id));
        state.set("region_id", Value::string(&region));
        state.set("backup_set_id", Value::string(&set_id));
        state.set("status", Value::string("Running"));
        // A backup set is never finished a moment after CreateBackup answered: the waiter's
        // check at once would always say Running, a call on every create's critical path.
        let set = SetRef {
            client: &client,
            region: &region,
            instance: &instance,
            set_id: &set_id,
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        let wait = wait_for_set(set, remaining, true, ctx, started);
        let mut resp = finish_wait(WaitFor::Create, state, WHAT, &id, wait, fill, |s| {
            s.status == 2
        })
        .await;
        mark_unfinished(&mut resp);
        resp
    }

    // ----- read -----

    async fn read(&self, ctx: &Ctx, current: Value, private: Vec<u8>) -> ReadResponse {
        let provider = match ctx.provider() {
            Ok(p) => p,
            Err(d) => return read_failed(current, private, d),
        };
        let Some((region, instance, set_id)) = ids_of(&current) else {
            return read_failed(current, private, corrupt_state());
        };
        let client = match provider.polardbx_in(&region) {
            Ok(c) => c,
            Err(e) => {
                let d = diag::api_error("set up the PolarDB-X client", &e);
                return read_failed(current, private, d);
            }
        };
        let found = polardbx::describe_backup_set(&client, &region, &instance, &set_id).await;
        let id = polardbx_backup_id(&region, &instance, &set_id);
        let resp = read_answer(
            current,
            private,
            found,
            (WHAT, &id),
            &self.schema.block,
            |state, set| {
                fill(state, &set);
                if state.get("region_id").is_none_or(Value::is_null) {
                    state.set("region_id", Value::string(&region));
                }
            },
        );
        note_unfinished(provider, TYPE, &resp);
        resp
    }

    // ----- update -----

    /// An in-place update only changes how the provider behaves, except the wait that
    /// [`plan_wait`] plans for an unfinished set (e.g. after Ctrl-C stopped the create's
    /// wait): that waits for it, within `timeouts.create`.
    async fn update(&self, ctx: &Ctx, prior: Value, planned: Value) -> ApplyResponse {
        let wait = |state| wait_for_state(ctx, state, WaitFor::Update);
        update_in_place(&self.schema.block, &prior, planned, wait).await
    }

    // ----- delete -----

    /// The replacement of a tainted set (see `lifecycle`) hands it over to the create that
    /// follows, unless it failed.
    async fn delete_planned(&self, ctx: &Ctx, prior: Value, planned_private: &[u8]) -> Diagnostics {
        if planned_as_new(planned_private) && prior.str_attr("status") != Some("Failed") {
            hand_over(TYPE, prior);
            return Vec::new();
        }
        self.delete(ctx, prior).await
    }

    /// The API has no delete call: forget the backup set and say it stays until retention ends.
    async fn delete(&self, _ctx: &Ctx, prior: Value) -> Diagnostics {
        let id = prior.str_attr("id").unwrap_or("(unknown ID)");
        vec![diag::polardbx_forgotten_warning(id)]
    }

    // ----- import -----

    /// Checks the ID's form and region, then that the backup set exists there: an ID that names
    /// nothing is refused here, naming what was looked for, not imported and dropped later.
    async fn import(&self, ctx: &Ctx, id: &str) -> ImportResponse {
        let (region, instance, set_id) = match parse_polardbx_backup_id(id) {
            Ok(parts) => parts,
            Err(problem) => return invalid_import_id(&problem, IMPORT_EXAMPLE),
        };
        let provider = match ctx.provider() {
            Ok(p) => p,
            Err(d) => return import_failed(d),
        };
        if let Err(mut d) = check_region_in_use(provider, &region, "region_id") {
            d.attribute = None;
            d.summary = "Invalid import ID".into();
            d.detail = format!(
                "The region of the import ID \"{id}\" is wrong: {}\n\nExample: {IMPORT_EXAMPLE}",
                d.detail
            );
            return import_failed(d);
        }
        let client = match provider.polardbx_in(&region) {
            Ok(c) => c,
            Err(e) => return import_failed(diag::api_error("set up the PolarDB-X client", &e)),
        };
        let set = match polardbx::describe_backup_set(&client, &region, &instance, &set_id).await {
            Ok(Some(set)) => set,
            Ok(None) => return import_failed(no_such_backup_set(&region, &instance, &set_id)),
            Err(e) if e.kind == ErrorKind::NotFound => {
                return import_failed(no_such_backup_set(&region, &instance, &set_id))
            }
            Err(e) => {
                return import_failed(diag::api_error(
                    &format!("import backup set {set_id} of {instance}"),
                    &e,
                ))
            }
        };
        let mut state = Value::null_object(&self.schema.value_type());
        state.set(
            "id",
            Value::string(polardbx_backup_id(&region, &instance, &set_id)),
        );
        state.set("region_id", Value::string(region));
        state.set("db_instance_name", Value::string(instance));
        state.set("backup_set_id", Value::string(set_id));
        schema_defaults(&self.schema.block, &mut state);
        fill(&mut state, &set);
        ImportResponse {
            state,
            ..ImportResponse::default()
        }
    }
}

// ----- helpers -----

/// The create half of a tainted set's replacement: the handed-over set, waited for under
/// the arguments planned now. Every answer carries its state.
async fn resume(ctx: &Ctx, prior: Value, planned: Value) -> ApplyResponse {
    let mut state = planned;
    for name in ["id", "region_id", "backup_set_id", "status"] {
        state.set(name, prior.get(name).cloned().unwrap_or(Value::Null));
    }
    for name in FILLED_WHEN_DONE {
        if state.get(name) == Some(&Value::Unknown) {
            state.set(name, prior.get(name).cloned().unwrap_or(Value::Null));
        }
    }
    tracing::info!(
        id = state.str_attr("id").unwrap_or_default(),
        "resuming the tainted backup set instead of creating another"
    );
    wait_for_state(ctx, state, WaitFor::Create).await
}

/// Waits for the set `state` names (handed over, or already in state), within
/// `timeouts.create`; whatever fails, the answer keeps `state`.
async fn wait_for_state(ctx: &Ctx, mut state: Value, phase: WaitFor) -> ApplyResponse {
    let Some((region, instance, set_id)) = ids_of(&state) else {
        return kept(phase, state, corrupt_state());
    };
    let id = polardbx_backup_id(&region, &instance, &set_id);
    state.set("id", Value::string(&id));
    state.set("region_id", Value::string(&region));
    state.set("backup_set_id", Value::string(&set_id));
    let (provider, timeouts) = match provider_and_timeouts(ctx, &state, DEFAULT_TIMEOUTS) {
        Ok(found) => found,
        Err(mut d) => return kept(phase, state, d.remove(0)),
    };
    let client = match provider.polardbx_in(&region) {
        Ok(c) => c,
        Err(e) => {
            let d = diag::api_error("set up the PolarDB-X client", &e);
            return kept(phase, state, d);
        }
    };
    let set = SetRef {
        client: &client,
        region: &region,
        instance: &instance,
        set_id: &set_id,
    };
    let wait = wait_for_set(set, timeouts.create, false, ctx, Instant::now());
    let mut resp = finish_wait(phase, state, WHAT, &id, wait, fill, |s| s.status == 2).await;
    if phase == WaitFor::Create {
        mark_unfinished(&mut resp);
    }
    resp
}

/// The backup set a wait polls.
#[derive(Clone, Copy)]
struct SetRef<'a> {
    client: &'a Client,
    region: &'a str,
    instance: &'a str,
    set_id: &'a str,
}

/// Polls the set until it succeeds or fails, for at most `timeout`; `pause_first` skips the
/// check at once (a set just created is never finished). A timeout reports the time since
/// `started`.
async fn wait_for_set(
    set: SetRef<'_>,
    timeout: Duration,
    pause_first: bool,
    ctx: &Ctx,
    started: Instant,
) -> Result<BackupSet, WaitError<BackupSet>> {
    let what = format!(
        "{WHAT} {}",
        polardbx_backup_id(set.region, set.instance, set.set_id)
    );
    let schedule = Schedule::default();
    let mut first_pause = if pause_first {
        schedule.initial.min(timeout)
    } else {
        Duration::ZERO
    };
    waiter::wait_for(&what, timeout, &schedule, &ctx.stop, || {
        let pause = std::mem::take(&mut first_pause);
        async move {
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            match polardbx::describe_backup_set(set.client, set.region, set.instance, set.set_id)
                .await?
            {
                Some(s) if s.status == 1 || s.status == 2 => Ok(Poll::Done(s)),
                Some(s) => {
                    let status = status_name(s.status);
                    Ok(Poll::Pending(Some(s), status))
                }
                None => Ok(Poll::Pending(None, "not listed yet".into())),
            }
        }
    })
    .await
    .map_err(|e| timed_from(e, started))
}

const IMPORT_EXAMPLE: &str =
    "terraform import alicloud_polardbx_backup.example cn-hangzhou:pxc-hzabc123:627833";

fn import_failed(d: Diagnostic) -> ImportResponse {
    ImportResponse {
        diagnostics: vec![d],
        ..ImportResponse::default()
    }
}

fn no_such_backup_set(region: &str, instance: &str, set_id: &str) -> Diagnostic {
    Diagnostic::error(
        "Cannot import: no such backup set",
        format!(
            "Instance {instance} in region {region} has no backup set {set_id}. Check the three \
             parts of the import ID: the `ids` of the alicloud_polardbx_backups data source for \
             that instance and region are valid import IDs."
        ),
    )
}

/// A create's wait timed out: report the time since the create began, which is what
/// `timeouts.create` bounds (the wait alone started after the CreateBackup call, so a
/// `create = "3s"` would read "not finished after 2s").
fn timed_from<T>(e: WaitError<T>, started: Instant) -> WaitError<T> {
    match e {
        WaitError::Timeout { status, last, .. } => WaitError::Timeout {
            waited: started.elapsed(),
            status,
            last,
        },
        other => other,
    }
}

fn corrupt_state() -> Diagnostic {
    Diagnostic::error(
        "The state of this backup set has no usable ID",
        "The state holds neither region_id, db_instance_name and backup_set_id nor an ID of the \
         form \"<region_id>:<db_instance_name>:<backup_set_id>\". Remove it with \
         `terraform state rm` and import it again.",
    )
}

fn ids_of(state: &Value) -> Option<(String, String, String)> {
    let non_empty = |n: &str| {
        state
            .str_attr(n)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    match (
        non_empty("region_id"),
        non_empty("db_instance_name"),
        non_empty("backup_set_id"),
    ) {
        (Some(r), Some(i), Some(s)) => Some((r, i, s)),
        _ => state
            .str_attr("id")
            .and_then(|id| parse_polardbx_backup_id(id).ok()),
    }
}

/// Copies what the API reports of a backup set into the state.
fn fill(state: &mut Value, s: &BackupSet) {
    mapping::set_all(state, mapping::polardbx_backup_set(s));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::AttributePath;
    use crate::resources::assert_each_names;

    /// An unknown backup_type, a wrong-product name, a misspelt region and a bad timeout each
    /// name their attribute; the backup_type's names the valid values.
    #[test]
    fn validate_names_attributes() {
        let r = PolardbxBackup::new();
        assert_each_names(
            &r,
            &[
                (
                    &[("backup_type", Value::string("1"))],
                    AttributePath::attr("backup_type"),
                ),
                (
                    &[("db_instance_name", Value::string("pc-abc"))],
                    AttributePath::attr("db_instance_name"),
                ),
                (
                    &[("region_id", Value::string("hangzhou"))],
                    AttributePath::attr("region_id"),
                ),
                (
                    &[("timeouts", Value::object([("create", Value::string("1x"))]))],
                    AttributePath::attr("timeouts").then("create"),
                ),
            ],
        );
        let d = r.validate(&schema().config_with(&[("backup_type", Value::string("1"))]));
        assert!(d[0].detail.contains("Valid values: \"0\""));
        assert!(r
            .validate(&schema().config_with(&[
                ("db_instance_name", Value::Unknown),
                ("backup_type", Value::Unknown)
            ]))
            .is_empty());
    }

    /// On create, a left-out region_id plans as the provider's region; a configured unknown
    /// one stays unknown.
    #[tokio::test]
    async fn plan_defaults_region_only_when_left_out() {
        let r = PolardbxBackup::new();
        let data = crate::provider::configured(&[
            ("region", Value::string("cn-beijing")),
            // The plan's instance check calls the API: offline, give up at once.
            ("max_retry_timeout", Value::string("1s")),
        ]);
        let ctx = Ctx {
            provider: Some(std::sync::Arc::new(data)),
            stop: crate::resource::StopSignal::never(),
        };
        for (configured, expected) in [
            (Value::Null, Value::string("cn-beijing")),
            (Value::Unknown, Value::Unknown),
            (Value::string("cn-shanghai"), Value::string("cn-shanghai")),
        ] {
            let cfg = schema().config_with(&[
                ("db_instance_name", Value::string("pxc-a")),
                ("region_id", configured.clone()),
            ]);
            let resp = r
                .plan(
                    &ctx,
                    PlanRequest {
                        prior_state: Value::Null,
                        proposed_new_state: cfg.clone(),
                        config: cfg,
                        prior_private: vec![],
                    },
                )
                .await;
            assert_eq!(
                resp.planned_state.get("region_id"),
                Some(&expected),
                "{configured:?}"
            );
        }
    }

    /// Destroy forgets with a warning, never an error.
    #[tokio::test]
    async fn delete_warns() {
        let r = PolardbxBackup::new();
        let ctx = Ctx::unconfigured();
        let d = r
            .delete(
                &ctx,
                schema().config_with(&[("id", Value::string("cn-hangzhou:pxc-a:1"))]),
            )
            .await;
        assert_eq!(d.len(), 1);
        assert!(!d[0].is_error());
        assert!(d[0].detail.contains("cn-hangzhou:pxc-a:1"));
    }

    /// Import refuses a PolarDB-shaped ID with an example, before needing the provider; a
    /// well-formed ID is looked up, so it needs a configured provider.
    #[tokio::test]
    async fn import_checks_form_first() {
        let r = PolardbxBackup::new();
        let ctx = Ctx::unconfigured();
        let d = r.import(&ctx, "pc-abc:1").await.diagnostics;
        assert!(diag::has_errors(&d));
        assert!(d[0].detail.contains("Example: terraform import"), "{d:?}");
        let d = r
            .import(&ctx, "cn-hangzhou:pxc-abc:627833")
            .await
            .diagnostics;
        assert!(diag::has_errors(&d));
    }

    /// A region is accepted when known or when it is the provider's own; a typo is refused,
    /// naming the attribute and the provider's region.
    #[test]
    fn regions_in_use() {
        let endpoints = crate::provider::schema().nested_config_with(
            "endpoints",
            &[("polardbx", Value::string("http://127.0.0.1:9"))],
        );
        let data = crate::provider::configured(&[
            ("region", Value::string("cn-newregion")),
            ("endpoints", endpoints),
        ]);
        assert!(check_region_in_use(&data, "cn-beijing", "region_id").is_ok());
        assert!(check_region_in_use(&data, "cn-newregion", "region_id").is_ok());
        let d = check_region_in_use(&data, "cn-hangzou", "region_id").unwrap_err();
        assert_eq!(d.attribute, Some(AttributePath::attr("region_id")));
        assert!(d.detail.contains("\"cn-hangzou\""), "{}", d.detail);
        assert!(d.detail.contains("\"cn-newregion\""), "{}", d.detail);
    }

    /// A timed-out wait reports the time since the create began, not since the wait began.
    #[test]
    fn timeout_counts_from_the_create() {
        let started = Instant::now() - Duration::from_millis(3050);
        let e = timed_from::<()>(
            WaitError::Timeout {
                waited: Duration::from_millis(2900),
                status: "Running".into(),
                last: None,
            },
            started,
        );
        let WaitError::Timeout { waited, .. } = e else {
            panic!("still a timeout");
        };
        assert!(waited >= Duration::from_secs(3), "{waited:?}");
    }

    /// Backup set times render as UTC timestamps and statuses as words.
    #[test]
    fn fill_renders_times() {
        let mut state = schema().config_with(&[]);
        fill(
            &mut state,
            &BackupSet {
                backup_set_id: "1".into(),
                status: 1,
                backup_model: "1".into(),
                backup_type: "0".into(),
                begin_time: 1_650_250_861_754,
                end_time: 0,
                backup_set_size: 42,
            },
        );
        assert_eq!(state.str_attr("status"), Some("Success"));
        assert_eq!(state.str_attr("begin_time"), Some("2022-04-18T03:01:01Z"));
        assert_eq!(state.get("end_time"), Some(&Value::Null));
        assert_eq!(state.get("size_bytes").and_then(Value::as_i64), Some(42));
    }
}
