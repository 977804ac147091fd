//! The steps both backup resources take the same way: failing an apply early, finishing a
//! create, answering a Read and refusing an import ID. Each resource passes in only what is
//! its own (how to fill its state, which status is a failure, what to log and say).

use std::future::Future;

use super::null_unknowns;
use super::waiter::WaitError;
use crate::alicloud::{ApiError, ErrorKind};
use crate::diagnostics::{self as diag, invalid_attribute, Diagnostic, Diagnostics};
use crate::resource::{ApplyResponse, ImportResponse, ReadResponse};
use crate::tfvalue::Value;

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

/// The ID attribute `name` a create needs, present and passing `check` (validate may have seen
/// it unknown); otherwise the diagnostic, saying it is `missing` or how to `fix` it.
pub(super) fn required_id(
    planned: &Value,
    name: &str,
    missing: &str,
    check: impl Fn(&str) -> Result<(), String>,
    fix: &str,
) -> Result<String, Diagnostic> {
    let Some(value) = planned.str_attr(name) else {
        return Err(invalid_attribute(name, missing, &format!("Set {name}.")));
    };
    check(value).map_err(|problem| invalid_attribute(name, &problem, fix))?;
    Ok(value.to_string())
}

/// The rest of a create once the API named the new backup (`state` already holds its IDs).
///
/// The state is made wholly known; unless `wait_for_completion` is false, `wait` then runs and
/// whatever it last saw is `fill`ed in, with an error for a backup that `is_failed` or a wait
/// that did not end. Whatever happens the backup reaches the state, so it is never orphaned.
/// `wait` is only polled when waiting is wanted.
pub(super) async fn finish_create<T>(
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
            diagnostics.push(diag::wait_timeout(what, id, waited, &status));
        }
        Err(WaitError::Stopped { last, .. }) => {
            last.iter().for_each(|b| fill(&mut state, b));
            diagnostics.push(diag::wait_stopped(what, id));
        }
        Err(WaitError::Api { error, last }) => {
            last.iter().for_each(|b| fill(&mut state, b));
            diagnostics.push(diag::wait_api_error(what, id, &error));
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

/// What Read answers for one lookup of the backup.
///
/// Found, it is `update`d into the state. Not listed, or NotFound (its cluster or instance is
/// gone too), it leaves the state: `log_gone` says so, given the error in the second case.
/// Any other error keeps the state and reports the failure to `action`.
pub(super) fn read_answer<T>(
    current: Value,
    private: Vec<u8>,
    found: Result<Option<T>, ApiError>,
    action: &str,
    update: impl FnOnce(&mut Value, T),
    log_gone: impl FnOnce(Option<&ApiError>),
) -> ReadResponse {
    let gone = |private| ReadResponse {
        new_state: Value::Null,
        private,
        diagnostics: Vec::new(),
    };
    match found {
        Ok(Some(backup)) => {
            let mut state = current;
            update(&mut state, backup);
            ReadResponse {
                new_state: state,
                private,
                diagnostics: Vec::new(),
            }
        }
        Ok(None) => {
            log_gone(None);
            gone(private)
        }
        Err(e) if e.kind == ErrorKind::NotFound => {
            log_gone(Some(&e));
            gone(private)
        }
        Err(e) => read_failed(current, private, diag::api_error(action, &e)),
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
        let not_found = ApiError::local(ErrorKind::NotFound, "DescribeBackups", "NotFound", "x");
        let r = read_answer::<()>(state(), vec![7], Err(not_found), "read", |_, _| {}, |_| {});
        assert!(r.new_state.is_null() && r.diagnostics.is_empty());
        assert_eq!(r.private, vec![7]);
        let r = read_answer::<()>(state(), vec![], Ok(None), "read", |_, _| {}, |_| {});
        assert!(r.new_state.is_null());
        let auth = ApiError::local(ErrorKind::Auth, "DescribeBackups", "Forbidden", "x");
        let r = read_answer::<()>(state(), vec![], Err(auth), "read it", |_, _| {}, |_| {});
        assert_eq!(r.new_state, state());
        assert!(diag::has_errors(&r.diagnostics));
    }

    /// A missing ID says to set it; a bad one names the problem and the fix; a good one passes.
    #[test]
    fn required_id_checks() {
        let check = |v: &str| v.starts_with("pc-").then_some(()).ok_or(format!("{v}?"));
        let d = required_id(&state(), "db_cluster_id", "Missing.", check, "Fix.").unwrap_err();
        assert!(d.summary.contains("db_cluster_id") && d.detail.contains("Set db_cluster_id."));
        let planned = Value::object([("db_cluster_id", Value::string("pxc-a"))]);
        let d = required_id(&planned, "db_cluster_id", "Missing.", check, "Fix.").unwrap_err();
        assert!(d.detail.contains("pxc-a?") && d.detail.contains("Fix."));
        let planned = Value::object([("db_cluster_id", Value::string("pc-a"))]);
        let id = required_id(&planned, "db_cluster_id", "Missing.", check, "Fix.");
        assert_eq!(id.ok().as_deref(), Some("pc-a"));
    }

    /// With wait_for_completion false the wait never runs and the state is wholly known.
    #[tokio::test]
    async fn finish_create_without_waiting() {
        let wait = async { panic!("the wait must not run") };
        let r = finish_create::<()>(state(), "backup", "pc-a:1", wait, |_, _| {}, |_| true).await;
        assert!(r.diagnostics.is_empty());
        assert!(r.new_state.is_wholly_known());
        assert_eq!(r.new_state.str_attr("id"), Some("pc-a:1"));
    }
}
