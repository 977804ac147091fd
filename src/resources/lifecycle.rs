//! The steps both backup resources take the same way: failing an apply early, finishing a
//! create, answering a Read and refusing an import ID, resuming a backup whose create timed
//! out, planning a wait for an unfinished backup, and refusing a `client_token` twice in one
//! plan. Each resource passes in only what is its own (how to fill its state, which status is a
//! failure, what to log and say).
//!
//! # Resuming after a create timeout
//!
//! Terraform taints an object whose create returned an error, and plans a tainted object as a
//! replacement: its delete, then a create (`DeleteThenCreate`, unless `create_before_destroy`).
//! The provider cannot change that plan, but it can make the replacement keep the backup: the
//! delete half receives the create's planned private data ([`crate::resource::PLANNED_AS_NEW`]
//! only for a tainted object's replacement), and instead of deleting a backup that has not
//! failed it [`hand_over`]s the object to the create that follows in the same process, which
//! [`take_over`]s it (same arguments) and waits for the same backup. No backup is deleted and
//! none is created. A user's `-replace` or changed arguments plan from the prior object and
//! really replace.

use std::future::Future;
use std::sync::Mutex;

use super::null_unknowns;
use super::timeouts::Timeouts;
use super::waiter::WaitError;
use crate::alicloud::{ApiError, ErrorKind};
use crate::diagnostics::{self as diag, invalid_attribute, Diagnostic, Diagnostics};
use crate::provider::ProviderData;
use crate::resource::{
    ApplyResponse, Ctx, ImportResponse, PlanRequest, PlanResponse, ReadResponse,
};
use crate::schema::Block;
use crate::tfvalue::Value;

/// Objects whose delete handed them over to the create of their replacement (see the module
/// docs): resource type and prior state.
static HANDED_OVER: Mutex<Vec<(&'static str, Value)>> = Mutex::new(Vec::new());

/// `client_token`s (by resource type) planned by this provider process: Terraform plans every
/// resource of a configuration in one process, once each.
static PLANNED_TOKENS: Mutex<Vec<(&'static str, String)>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The delete half of a tainted object's replacement: keeps `prior` for the create that
/// follows instead of deleting it.
pub(super) fn hand_over(type_name: &'static str, prior: Value) {
    tracing::info!(
        type_name,
        id = prior.str_attr("id").unwrap_or(""),
        "tainted backup handed over to its replacement's create instead of being deleted"
    );
    lock(&HANDED_OVER).push((type_name, prior));
}

/// Whether `prior` has the `keys` arguments `planned` has (an unknown planned value matches
/// any): the test for a create to take a handed-over object over.
pub(super) fn same_arguments(planned: &Value, prior: &Value, keys: &[&str]) -> bool {
    keys.iter().all(|k| match planned.get(k) {
        Some(Value::Unknown) => true,
        p => p.unwrap_or(&Value::Null) == prior.get(k).unwrap_or(&Value::Null),
    })
}

/// The create half of a tainted object's replacement: the handed-over object whose `keys`
/// arguments equal the planned ones, if any.
pub(super) fn take_over(type_name: &str, planned: &Value, keys: &[&str]) -> Option<Value> {
    let mut handed = lock(&HANDED_OVER);
    let at = handed
        .iter()
        .position(|(t, prior)| *t == type_name && same_arguments(planned, prior, keys))?;
    Some(handed.remove(at).1)
}

/// Whether a create planned now (in the apply phase, after its replacement's delete ran) will
/// [`take_over`] a handed-over object instead of creating one: its plan-time checks of a
/// create do not apply, and must not fail the plan (the object would then be out of state).
pub(super) fn is_handed_over(type_name: &str, planned: &Value, keys: &[&str]) -> bool {
    lock(&HANDED_OVER)
        .iter()
        .any(|(t, prior)| *t == type_name && same_arguments(planned, prior, keys))
}

/// The private note a create that failed after the backup existed leaves with its state (which
/// Terraform saves tainted): a Read of this object in the next plan tells the plan-time checks
/// that its replacement will take it over rather than create (see `quota`).
const UNFINISHED: (&str, &str) = ("create", "unfinished");

/// Marks a create's answer that saves a backup with an error (Terraform taints it).
pub(super) fn mark_unfinished(resp: &mut ApplyResponse) {
    if !resp.new_state.is_null() && diag::has_errors(&resp.diagnostics) {
        resp.private =
            crate::resource::with_private_note(&resp.private, UNFINISHED.0, UNFINISHED.1);
    }
}

/// Whether a state's private data carries the mark of [`mark_unfinished`].
pub(super) fn is_unfinished(private: &[u8]) -> bool {
    crate::resource::private_note(private, UNFINISHED.0).as_deref() == Some(UNFINISHED.1)
}

/// Refuses a `client_token` another resource of the same type uses in this plan. Terraform
/// plans a replacement twice (from the prior object, then from nothing with the first plan's
/// private data): the second is the same resource and is not counted.
pub(super) fn unique_client_token(
    type_name: &'static str,
    req: &PlanRequest,
) -> Option<Diagnostic> {
    if req.proposed_new_state.is_null() || crate::resource::replanned_from_prior(req) {
        return None;
    }
    let token = req.config.str_attr("client_token")?.to_string();
    let mut planned = lock(&PLANNED_TOKENS);
    if planned.iter().any(|(t, v)| *t == type_name && *v == token) {
        return Some(diag::duplicate_client_token(&token));
    }
    planned.push((type_name, token));
    None
}

/// Plans an in-place wait: an existing backup that is not finished (its `status` is none of
/// `finished`) while `wait_for_completion` is true (e.g. after Ctrl-C stopped the create's
/// wait) is a change, so `status` and every computed value not known yet become unknown and
/// the update waits.
pub(super) fn plan_wait(
    resp: &mut PlanResponse,
    prior: &Value,
    finished: &[&str],
    computed: &[&str],
) {
    let planned = &mut resp.planned_state;
    if prior.is_null() || planned.is_null() || !resp.requires_replace.is_empty() {
        return;
    }
    let waiting = planned.bool_attr("wait_for_completion") == Some(true);
    let done = prior
        .str_attr("status")
        .is_some_and(|s| finished.contains(&s));
    if !waiting || done {
        return;
    }
    planned.set("status", Value::Unknown);
    for name in computed {
        planned.set(name, Value::Unknown);
    }
}

/// The apply side of [`plan_wait`], for an in-place update: `Err` with the planned state as the
/// new state when no wait was planned (the update only changed how the provider behaves); else
/// the planned state with every value the plan left unknown taken from `prior`, until the wait
/// reads it again.
pub(super) fn planned_wait(
    block: &Block,
    prior: &Value,
    planned: Value,
) -> Result<Value, ApplyResponse> {
    if planned.get("status") != Some(&Value::Unknown) {
        return Err(ApplyResponse {
            new_state: planned,
            ..ApplyResponse::default()
        });
    }
    let mut state = planned;
    for name in block.attributes.iter().map(|a| a.name.as_str()) {
        if state.get(name) == Some(&Value::Unknown) {
            state.set(name, prior.get(name).cloned().unwrap_or(Value::Null));
        }
    }
    Ok(state)
}

/// An in-place update: the new state as planned when no wait was planned (the update only
/// changed how the provider behaves), else what the resource's `wait` for the unfinished
/// backup answers (see [`planned_wait`]).
pub(super) async fn update_in_place<F: Future<Output = ApplyResponse>>(
    block: &Block,
    prior: &Value,
    planned: Value,
    wait: impl FnOnce(Value) -> F,
) -> ApplyResponse {
    match planned_wait(block, prior, planned) {
        Ok(state) => wait(state).await,
        Err(unchanged) => unchanged,
    }
}

/// Whether a wait runs for a new backup (a failure taints it) or for one already in state (an
/// in-place update, which Terraform does not taint).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WaitFor {
    /// A new backup (both resources plan an in-place wait ([`plan_wait`]) while unfinished).
    Create,
    Update,
}

/// An apply that failed before the backup existed: no state to save, only why.
pub(super) fn failed(d: Diagnostic) -> ApplyResponse {
    failed_all(vec![d])
}

/// [`failed`] for several diagnostics at once (e.g. every bad timeout).
pub(super) fn failed_all(diagnostics: Diagnostics) -> ApplyResponse {
    ApplyResponse {
        diagnostics,
        ..ApplyResponse::default()
    }
}

/// The ID argument a create cannot do without: its name, what to say when it is missing, its
/// check, and how to fix a value that fails it.
pub(super) struct IdArgument {
    pub name: &'static str,
    pub missing: &'static str,
    pub check: fn(&str) -> Result<(), String>,
    pub fix: &'static str,
}

/// The ID argument `arg` a create needs, present and passing its check (validate may have seen
/// it unknown); otherwise the diagnostic, saying it is missing or how to fix it.
pub(super) fn required_id(planned: &Value, arg: &IdArgument) -> Result<String, Diagnostic> {
    let name = arg.name;
    let Some(value) = planned.str_attr(name) else {
        return Err(invalid_attribute(
            name,
            arg.missing,
            &format!("Set {name}."),
        ));
    };
    (arg.check)(value).map_err(|problem| invalid_attribute(name, &problem, arg.fix))?;
    Ok(value.to_string())
}

/// What every apply that talks to the API needs first: the configured provider and the
/// `timeouts` of `state` (`defaults` where left out). Only the first problem is reported.
pub(super) fn provider_and_timeouts<'c>(
    ctx: &'c Ctx,
    state: &Value,
    defaults: Timeouts,
) -> Result<(&'c ProviderData, Timeouts), Diagnostics> {
    let provider = ctx.provider().map_err(|d| vec![d])?;
    let timeouts = Timeouts::from_state(state, defaults)?;
    Ok((provider, timeouts))
}

/// What a resource's create starts from: its type and the arguments a take-over must match
/// (see the module docs), its default timeouts, and the ID argument it cannot do without.
pub(super) struct Creation {
    pub type_name: &'static str,
    pub resume_keys: &'static [&'static str],
    pub timeouts: Timeouts,
    pub id: IdArgument,
}

/// How a create begins.
pub(super) enum Opening<'c> {
    /// A new backup, with the provider, the timeouts and the ID argument's value.
    New(&'c ProviderData, Timeouts, String),
    /// The prior state of a tainted object handed over by its replacement's delete: wait for
    /// it, create nothing. Taken first, so from here on every answer must carry its state.
    TakeOver(Value),
    /// The create cannot start: the answer (nothing exists yet, so there is no state to save).
    Failed(ApplyResponse),
}

impl Creation {
    /// The opening of a create of `planned`: a take-over when one was handed over, else the
    /// provider, the timeouts and the ID argument, or why not.
    pub(super) fn open<'c>(&self, ctx: &'c Ctx, planned: &Value) -> Opening<'c> {
        if let Some(prior) = take_over(self.type_name, planned, self.resume_keys) {
            return Opening::TakeOver(prior);
        }
        let (provider, timeouts) = match provider_and_timeouts(ctx, planned, self.timeouts) {
            Ok(found) => found,
            Err(diagnostics) => return Opening::Failed(failed_all(diagnostics)),
        };
        match required_id(planned, &self.id) {
            Ok(id) => Opening::New(provider, timeouts, id),
            Err(d) => Opening::Failed(failed(d)),
        }
    }
}

/// A wait for a backup already in state (handed over, or an in-place update) that could not
/// start: the state as it was (unknowns null), with why; after a take-over (`phase` Create)
/// also marked unfinished, so Terraform taints it again and the next plan knows.
pub(super) fn kept(phase: WaitFor, mut state: Value, d: Diagnostic) -> ApplyResponse {
    null_unknowns(&mut state);
    let mut resp = ApplyResponse {
        new_state: state,
        private: Vec::new(),
        diagnostics: vec![d],
    };
    if phase == WaitFor::Create {
        mark_unfinished(&mut resp);
    }
    resp
}

/// Sets every attribute of `block` that has a default and is null in `state` (after an
/// import or an upgrade) to that default, so that Read reports what the configuration's
/// defaults plan and nothing drifts. The schema is the one place a default is written.
pub(super) fn schema_defaults(block: &Block, state: &mut Value) {
    for a in &block.attributes {
        if let Some(default) = &a.default {
            if state.get(&a.name).is_none_or(Value::is_null) {
                state.set(&a.name, default.clone());
            }
        }
    }
}

/// The rest of a create once the API named the new backup (`state` already holds its IDs), or
/// of an in-place wait (`phase`; its diagnostics say the backup stays in state untainted and the
/// next apply waits again).
///
/// The state is made wholly known; unless `wait_for_completion` is false, `wait` then runs and
/// whatever it last saw is `fill`ed in, with an error for a backup that `is_failed` or a wait
/// that did not end. Whatever happens the backup reaches the state, so it is never orphaned.
/// `wait` is only polled when waiting is wanted.
pub(super) async fn finish_wait<T>(
    phase: WaitFor,
    mut state: Value,
    what: &str,
    id: &str,
    wait: impl Future<Output = Result<T, WaitError<T>>>,
    fill: impl Fn(&mut Value, &T),
    is_failed: impl Fn(&T) -> bool,
) -> ApplyResponse {
    null_unknowns(&mut state);
    if state.bool_attr("wait_for_completion") == Some(false) {
        return ApplyResponse {
            new_state: state,
            ..ApplyResponse::default()
        };
    }
    let mut diagnostics = Vec::new();
    match wait.await {
        Ok(done) => {
            fill(&mut state, &done);
            if is_failed(&done) {
                diagnostics.push(diag::backup_failed(what, id));
            }
        }
        Err(WaitError::Timeout {
            waited,
            status,
            last,
        }) => {
            last.iter().for_each(|b| fill(&mut state, b));
            diagnostics.push(match phase {
                WaitFor::Create => diag::wait_timeout(what, id, waited, &status),
                WaitFor::Update => diag::wait_again_timeout(what, id, waited, &status),
            });
        }
        Err(WaitError::Stopped { last, .. }) => {
            last.iter().for_each(|b| fill(&mut state, b));
            diagnostics.push(diag::wait_stopped(what, id));
        }
        Err(WaitError::Api { error, last }) => {
            last.iter().for_each(|b| fill(&mut state, b));
            diagnostics.push(diag::wait_api_error(
                what,
                id,
                &error,
                phase != WaitFor::Update,
            ));
        }
    }
    ApplyResponse {
        new_state: state,
        private: Vec::new(),
        diagnostics,
    }
}

/// A Read that could not look: the state stays as it was, with why.
pub(super) fn read_failed(current: Value, private: Vec<u8>, d: Diagnostic) -> ReadResponse {
    ReadResponse {
        new_state: current,
        private,
        diagnostics: vec![d],
    }
}

/// What Read answers for one lookup of the backup `what` `id` names.
///
/// Found, it is `update`d into the state, and every attribute of `block` left null gets its
/// default (after an import or an upgrade). Not listed, or NotFound (its cluster or instance is
/// gone too), it leaves the state, and the log says so. Any other error keeps the state and
/// reports the failure.
pub(super) fn read_answer<T>(
    current: Value,
    private: Vec<u8>,
    found: Result<Option<T>, ApiError>,
    (what, id): (&str, &str),
    block: &Block,
    update: impl FnOnce(&mut Value, T),
) -> ReadResponse {
    let gone = |private, code: Option<&str>| {
        tracing::info!(id, code, "{what} is gone; removing it from state");
        ReadResponse {
            new_state: Value::Null,
            private,
            diagnostics: Vec::new(),
        }
    };
    match found {
        Ok(Some(backup)) => {
            let mut state = current;
            update(&mut state, backup);
            schema_defaults(block, &mut state);
            ReadResponse {
                new_state: state,
                private,
                diagnostics: Vec::new(),
            }
        }
        Ok(None) => gone(private, None),
        Err(e) if e.kind == ErrorKind::NotFound => gone(private, Some(&e.code)),
        Err(e) => read_failed(
            current,
            private,
            diag::api_error(&format!("read {what} {id}"), &e),
        ),
    }
}

/// After a Read that kept a backup whose create was marked unfinished (Terraform tainted it):
/// tells the plan-time checks that its replacement takes it over and creates nothing (see
/// `quota`).
pub(super) fn note_unfinished(
    provider: &ProviderData,
    type_name: &'static str,
    read: &ReadResponse,
) {
    if is_unfinished(&read.private) && !read.new_state.is_null() {
        provider
            .extensions
            .get::<super::quota::Checks>()
            .saw_unfinished(type_name, &read.new_state);
    }
}

/// The answer to an import ID that does not parse: the problem, then a good `example` command.
pub(super) fn invalid_import_id(problem: &str, example: &str) -> ImportResponse {
    ImportResponse {
        diagnostics: vec![Diagnostic::error(
            "Invalid import ID",
            format!("{problem}\n\nExample: {example}"),
        )],
        ..ImportResponse::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Value {
        Value::object([
            ("id", Value::string("pc-a:1")),
            ("wait_for_completion", Value::Bool(false)),
            ("status", Value::Unknown),
        ])
    }

    /// NotFound and "not listed" drop the state; any other error keeps it with a diagnostic.
    #[test]
    fn read_answer_gone_or_kept() {
        let answer = |private: Vec<u8>, found: Result<Option<()>, ApiError>| {
            read_answer(
                state(),
                private,
                found,
                ("backup", "pc-a:1"),
                &Block::default(),
                |_, _| {},
            )
        };
        let not_found = ApiError::local(ErrorKind::NotFound, "DescribeBackups", "NotFound", "x");
        let r = answer(vec![7], Err(not_found));
        assert!(r.new_state.is_null() && r.diagnostics.is_empty());
        assert_eq!(r.private, vec![7]);
        assert!(answer(vec![], Ok(None)).new_state.is_null());
        let auth = ApiError::local(ErrorKind::Auth, "DescribeBackups", "Forbidden", "x");
        let r = answer(vec![], Err(auth));
        assert_eq!(r.new_state, state());
        assert!(
            r.diagnostics[0].summary.contains("pc-a:1"),
            "{:?}",
            r.diagnostics
        );
    }

    /// A missing ID says to set it; a bad one names the problem and the fix; a good one passes.
    #[test]
    fn required_id_checks() {
        let arg = IdArgument {
            name: "db_cluster_id",
            missing: "Missing.",
            check: |v| v.starts_with("pc-").then_some(()).ok_or(format!("{v}?")),
            fix: "Fix.",
        };
        let d = required_id(&state(), &arg).unwrap_err();
        assert!(d.summary.contains("db_cluster_id") && d.detail.contains("Set db_cluster_id."));
        let planned = Value::object([("db_cluster_id", Value::string("pxc-a"))]);
        let d = required_id(&planned, &arg).unwrap_err();
        assert!(d.detail.contains("pxc-a?") && d.detail.contains("Fix."));
        let planned = Value::object([("db_cluster_id", Value::string("pc-a"))]);
        assert_eq!(required_id(&planned, &arg).ok().as_deref(), Some("pc-a"));
    }

    /// Only attributes with a schema default that are null get it; set values stay.
    #[test]
    fn schema_defaults_fill_nulls_only() {
        let block = Block {
            attributes: vec![
                crate::schema::Attribute::optional("a", crate::tfvalue::Type::Bool, "a")
                    .default(Value::Bool(true)),
                crate::schema::Attribute::optional("b", crate::tfvalue::Type::String, "b")
                    .default(Value::string("d")),
                crate::schema::Attribute::optional("c", crate::tfvalue::Type::String, "c"),
            ],
            ..Block::default()
        };
        let mut state = Value::object([
            ("a", Value::Null),
            ("b", Value::string("set")),
            ("c", Value::Null),
        ]);
        schema_defaults(&block, &mut state);
        assert_eq!(state.bool_attr("a"), Some(true));
        assert_eq!(state.str_attr("b"), Some("set"));
        assert_eq!(state.get("c"), Some(&Value::Null));
    }

    /// With wait_for_completion false the wait never runs and the state is wholly known.
    #[tokio::test]
    async fn finish_wait_without_waiting() {
        let wait = async { panic!("the wait must not run") };
        let r = finish_wait::<()>(
            WaitFor::Create,
            state(),
            "backup",
            "pc-a:1",
            wait,
            |_, _| {},
            |_| true,
        )
        .await;
        assert!(r.diagnostics.is_empty());
        assert!(r.new_state.is_wholly_known());
        assert_eq!(r.new_state.str_attr("id"), Some("pc-a:1"));
    }

    fn plan_req(prior: Value, config: Value, prior_private: &[u8]) -> PlanRequest {
        PlanRequest {
            prior_state: prior,
            proposed_new_state: config.clone(),
            config,
            prior_private: prior_private.to_vec(),
        }
    }

    /// A handed-over object goes only to a create of the same type with the same arguments
    /// (unknown planned values match), and only once.
    #[test]
    fn hand_over_and_take_over() {
        let prior = Value::object([
            ("db_cluster_id", Value::string("pc-handover")),
            ("comment", Value::string("a")),
            ("client_token", Value::string("tok")),
        ]);
        hand_over("test_type", prior.clone());
        let keys = &["db_cluster_id", "comment", "client_token"];
        let other = Value::object([
            ("db_cluster_id", Value::string("pc-handover")),
            ("comment", Value::string("b")),
            ("client_token", Value::Unknown),
        ]);
        assert!(take_over("test_type", &other, keys).is_none());
        let same = Value::object([
            ("db_cluster_id", Value::string("pc-handover")),
            ("comment", Value::string("a")),
            ("client_token", Value::Unknown),
        ]);
        assert!(take_over("other_type", &same, keys).is_none());
        assert!(is_handed_over("test_type", &same, keys));
        assert!(!is_handed_over("test_type", &other, keys));
        assert_eq!(take_over("test_type", &same, keys), Some(prior));
        assert!(take_over("test_type", &same, keys).is_none());
        assert!(!is_handed_over("test_type", &same, keys));
    }

    /// Only a create that saves a backup with an error is marked unfinished; the mark is read
    /// back from the private data Terraform keeps.
    #[test]
    fn unfinished_mark() {
        let mut timed_out = ApplyResponse {
            new_state: state(),
            private: Vec::new(),
            diagnostics: vec![Diagnostic::error("Timed out", "x")],
        };
        mark_unfinished(&mut timed_out);
        assert!(is_unfinished(&timed_out.private));
        let mut fine = ApplyResponse {
            new_state: state(),
            ..ApplyResponse::default()
        };
        mark_unfinished(&mut fine);
        assert!(!is_unfinished(&fine.private));
        let mut nothing = failed(Diagnostic::error("No", "x"));
        mark_unfinished(&mut nothing);
        assert!(!is_unfinished(&nothing.private));
    }

    /// A client_token planned twice in one process is refused the second time, naming the
    /// attribute; the second plan of one replacement is not counted; a destroy is not checked.
    #[test]
    fn client_token_once_per_plan() {
        let config = Value::object([("client_token", Value::string("dup-token-1"))]);
        assert!(unique_client_token("t", &plan_req(Value::Null, config.clone(), &[])).is_none());
        let again = unique_client_token("t", &plan_req(Value::Null, config.clone(), &[]));
        let d = again.expect("a duplicate is refused");
        assert_eq!(
            d.attribute,
            Some(crate::diagnostics::AttributePath::attr("client_token"))
        );
        let replanned = plan_req(
            Value::Null,
            config.clone(),
            crate::resource::PLANNED_FROM_PRIOR,
        );
        assert!(unique_client_token("t", &replanned).is_none());
        let mut destroy = plan_req(config.clone(), Value::Null, &[]);
        destroy.proposed_new_state = Value::Null;
        assert!(unique_client_token("t", &destroy).is_none());
        assert!(unique_client_token("u", &plan_req(Value::Null, config, &[])).is_none());
    }

    /// An update that planned no wait keeps the planned state as it is; one that did takes the
    /// values left unknown from the prior state until the wait reads them.
    #[test]
    fn planned_wait_fills_unknowns_from_prior() {
        let block = Block {
            attributes: ["status", "backup_id", "comment"]
                .iter()
                .map(|n| crate::schema::Attribute::computed(n, crate::tfvalue::Type::String, n))
                .collect(),
            ..Block::default()
        };
        let prior = Value::object([
            ("status", Value::string("Running")),
            ("backup_id", Value::string("7")),
            ("comment", Value::string("old")),
        ]);
        let unchanged = Value::object([
            ("status", Value::string("Running")),
            ("backup_id", Value::string("7")),
            ("comment", Value::string("new")),
        ]);
        let resp = planned_wait(&block, &prior, unchanged.clone()).expect_err("no wait planned");
        assert_eq!(resp.new_state, unchanged);
        assert!(resp.diagnostics.is_empty());
        let waiting = Value::object([
            ("status", Value::Unknown),
            ("backup_id", Value::Unknown),
            ("comment", Value::string("new")),
        ]);
        let state = planned_wait(&block, &prior, waiting).expect("a wait was planned");
        assert_eq!(state.str_attr("status"), Some("Running"));
        assert_eq!(state.str_attr("backup_id"), Some("7"));
        assert_eq!(
            state.str_attr("comment"),
            Some("new"),
            "planned values stay"
        );
    }

    /// An unfinished backup that should be waited for plans a wait (status unknown); a
    /// finished one, or one with wait_for_completion false, plans nothing.
    #[test]
    fn plan_wait_only_when_unfinished_and_waiting() {
        let prior = |status: &str, wait: bool| {
            Value::object([
                ("status", Value::string(status)),
                ("wait_for_completion", Value::Bool(wait)),
                ("backup_id", Value::Null),
            ])
        };
        let planned = |p: &Value| {
            let mut resp = PlanResponse {
                planned_state: p.clone(),
                ..PlanResponse::default()
            };
            plan_wait(&mut resp, p, &["Success", "Failed"], &["backup_id"]);
            resp.planned_state
        };
        let running = prior("Running", true);
        let p = planned(&running);
        assert_eq!(p.get("status"), Some(&Value::Unknown));
        assert_eq!(p.get("backup_id"), Some(&Value::Unknown));
        for quiet in [prior("Success", true), prior("Running", false)] {
            assert_eq!(planned(&quiet), quiet);
        }
    }
}
