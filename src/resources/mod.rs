//! One file per resource and per data source, each in the same section order (see
//! [`crate::resource::Resource`]), plus what they share:
//!
//! - [`ids`]: ID formats, their validation, and the composite IDs in state and import.
//! - [`timeouts`]: duration parsing and the `timeouts` block.
//! - [`waiter`]: the one waiter (immediate first check, jittered backoff, timeout, stop).
//! - `lifecycle`: the steps both resources take alike (finishing a create, answering a Read).
//! - `listing`: what both data sources do alike (default window, every page, the answer).
//!
//! Resources: [`polardb_backup`] (`alicloud_polardb_backup`), [`polardbx_backup`]
//! (`alicloud_polardbx_backup`). Data sources: [`polardb_backups`], [`polardbx_backups`].

use std::sync::Arc;

use crate::resource::Resource;

pub mod adoption;
pub mod arguments;
pub mod ids;
mod lifecycle;
pub mod mapping;
pub mod polardb_backup;
mod polardb_job;
pub mod polardbx_backup;
mod polardbx_create;
pub mod quota;
pub mod timeouts;
pub mod waiter;

/// How far back a backup listing looks when nothing narrower is known (a data source's
/// default window, a refresh after import, the plan-time count): manual backups are kept at
/// most about a year.
pub const BACKUP_LOOKBACK: std::time::Duration = std::time::Duration::from_secs(400 * 86_400);

/// Every resource the provider serves.
pub fn resources() -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(polardb_backup::PolardbBackup::new()),
        Arc::new(polardbx_backup::PolardbxBackup::new()),
    ]
}

use crate::diagnostics::{invalid_attribute, Diagnostic, Diagnostics};
use crate::tfvalue::Value;

/// A validate's answer: what its `checks` of the arguments found (each [`check_attr`] or the
/// like, `None` where all is well).
pub(crate) fn all_checks(checks: impl IntoIterator<Item = Option<Diagnostic>>) -> Diagnostics {
    checks.into_iter().flatten().collect()
}

/// A resource's validate: [`all_checks`], then what is wrong in its `timeouts` block.
fn checked_with_timeouts(
    config: &Value,
    checks: impl IntoIterator<Item = Option<Diagnostic>>,
) -> Diagnostics {
    let mut diags = all_checks(checks);
    diags.extend(timeouts::Timeouts::validate(config));
    diags
}

/// Checks the known string attribute `name` of `config` with `check`; null and unknown pass
/// (an unknown value is checked once it is known, at apply).
pub(crate) fn check_attr(
    config: &Value,
    name: &str,
    check: impl Fn(&str) -> Result<(), String>,
    fix: &str,
) -> Option<Diagnostic> {
    let value = config.str_attr(name)?;
    check(value)
        .err()
        .map(|problem| invalid_attribute(name, &problem, fix))
}

/// A check for [`check_attr`]: the value is one of `allowed` (matched exactly), else the problem
/// says it is not `what` (e.g. "a backup mode").
pub(crate) fn one_of(
    allowed: &'static [&'static str],
    what: &'static str,
) -> impl Fn(&str) -> Result<(), String> {
    move |v| {
        if allowed.contains(&v) {
            Ok(())
        } else {
            Err(format!("\"{v}\" is not {what}."))
        }
    }
}

/// Replaces every unknown left in a state by null: a state after apply must be wholly known.
fn null_unknowns(value: &mut Value) {
    match value {
        Value::Unknown => *value = Value::Null,
        Value::Object(m) | Value::Map(m) => m.values_mut().for_each(null_unknowns),
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.iter_mut().for_each(null_unknowns),
        _ => {}
    }
}

/// Test helper: each configuration (attribute pairs) gets exactly one diagnostic from `r`'s
/// validate, naming the attribute at its path.
#[cfg(test)]
pub(crate) fn assert_each_names(
    r: &dyn Resource,
    cases: &[(&[(&str, Value)], crate::diagnostics::AttributePath)],
) {
    for (pairs, path) in cases {
        let d = r.validate(&r.schema().config_with(pairs));
        assert_eq!(d.len(), 1, "{path}: {d:?}");
        assert_eq!(d[0].attribute.as_ref(), Some(path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unknowns nested anywhere become null; known values stay.
    #[test]
    fn null_unknowns_everywhere() {
        let mut v = Value::object([
            ("a", Value::Unknown),
            ("b", Value::string("x")),
            ("c", Value::List(vec![Value::Unknown, Value::int(1)])),
        ]);
        null_unknowns(&mut v);
        assert!(v.is_wholly_known());
        assert_eq!(v.get("a"), Some(&Value::Null));
        assert_eq!(v.str_attr("b"), Some("x"));
    }

    /// check_attr names the attribute for a bad known value and lets unknown pass.
    #[test]
    fn check_attr_known_only() {
        let check = |s: &str| {
            if s == "ok" {
                Ok(())
            } else {
                Err("bad".to_string())
            }
        };
        let bad = Value::object([("n", Value::string("no"))]);
        let d = check_attr(&bad, "n", check, "fix it").unwrap();
        assert!(d.summary.contains("\"n\""));
        let unknown = Value::object([("n", Value::Unknown)]);
        assert!(check_attr(&unknown, "n", check, "fix it").is_none());
    }
}
