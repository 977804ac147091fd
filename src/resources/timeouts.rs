//! Durations as users write them (`"2h"`, `"20m"`, `"1h30m"`, `"500ms"`) and the `timeouts`
//! block of the backup resources.
//!
//! One parser serves both the `timeouts` block and the provider's duration arguments
//! (`max_retry_timeout`, `connect_timeout`, `read_timeout`), so every duration in this provider
//! is written the same way.

use std::time::Duration;

use crate::diagnostics::{AttributePath, Diagnostics};
use crate::schema::{Attribute, Block, NestedBlock};
use crate::tfvalue::{Type, Value};

// The parser is shared with the provider block's durations; it lives in a neutral module so
// that `provider/` need not import from `resources/`.
pub use crate::duration::{duration_at, parse_duration};

/// The `timeouts` block: `create` always, `delete` when the resource waits on deletion.
pub fn block(with_delete: bool, create_default: &str, delete_default: &str) -> NestedBlock {
    let mut b = Block::new("How long to wait for the operation before giving up.").attribute(
        Attribute::optional(
            "create",
            Type::String,
            &format!("How long to wait for the backup to finish (default `{create_default}`), e.g. `\"2h\"`, `\"1h30m\"`."),
        ),
    );
    if with_delete {
        b = b.attribute(Attribute::optional(
            "delete",
            Type::String,
            &format!("How long to wait for the backup to be gone (default `{delete_default}`)."),
        ));
    }
    NestedBlock::single("timeouts", b)
}

/// The effective timeouts of one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Duration,
    pub delete: Duration,
}

impl Timeouts {
    /// Reads the `timeouts` block of `state` (null or unknown parts take the defaults).
    pub fn from_state(state: &Value, defaults: Timeouts) -> Result<Timeouts, Diagnostics> {
        let block = state.get("timeouts");
        let path = |name: &str| AttributePath::attr("timeouts").then(name);
        let create = duration_at(block.and_then(|b| b.get("create")), path("create"));
        let delete = duration_at(block.and_then(|b| b.get("delete")), path("delete"));
        match (create, delete) {
            (Ok(c), Ok(d)) => Ok(Timeouts {
                create: c.unwrap_or(defaults.create),
                delete: d.unwrap_or(defaults.delete),
            }),
            (c, d) => Err(c.err().into_iter().chain(d.err()).collect()),
        }
    }

    /// Validation: the diagnostics for every invalid known duration in the block.
    pub fn validate(config: &Value) -> Diagnostics {
        let defaults = Timeouts {
            create: Duration::from_secs(1),
            delete: Duration::from_secs(1),
        };
        Timeouts::from_state(config, defaults)
            .err()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The forms users write parse to the right durations.
    #[test]
    fn parses_common_forms() {
        let ms = Duration::from_millis;
        for (text, expected) in [
            ("2h", ms(7_200_000)),
            ("20m", ms(1_200_000)),
            ("90s", ms(90_000)),
            ("1h30m", ms(5_400_000)),
            ("500ms", ms(500)),
            ("1m30s250ms", ms(90_250)),
        ] {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
    }

    /// Garbage, zero, missing units, unknown units and absurd sizes are refused with a reason.
    #[test]
    fn refuses_bad_durations() {
        for bad in [
            "",
            "   ",
            "h",
            "10",
            "2d",
            "-5m",
            "1.5h",
            "0s",
            "abc",
            "9999999999999999999999h",
            "200h",
        ] {
            let err = parse_duration(bad).expect_err(bad);
            assert!(!err.is_empty(), "{bad}");
        }
        assert!(parse_duration("2d").unwrap_err().contains("not a unit"));
        assert!(parse_duration("0s").unwrap_err().contains("zero"));
    }

    /// An invalid `timeouts.create` is reported at that path; null parts take the defaults.
    #[test]
    fn timeouts_block_paths_and_defaults() {
        let defaults = Timeouts {
            create: Duration::from_secs(7200),
            delete: Duration::from_secs(1200),
        };
        let state = Value::object([(
            "timeouts",
            Value::object([
                ("create", Value::string("forever")),
                ("delete", Value::Null),
            ]),
        )]);
        let diags = Timeouts::from_state(&state, defaults).unwrap_err();
        assert_eq!(diags.len(), 1);
        assert_eq!(
            diags[0].attribute,
            Some(AttributePath::attr("timeouts").then("create"))
        );
        assert!(diags[0].summary.contains("timeouts.create"));

        let state = Value::object([(
            "timeouts",
            Value::object([("create", Value::string("5m")), ("delete", Value::Unknown)]),
        )]);
        let t = Timeouts::from_state(&state, defaults).unwrap();
        assert_eq!(t.create, Duration::from_secs(300));
        assert_eq!(t.delete, Duration::from_secs(1200));
        assert_eq!(
            Timeouts::from_state(&Value::Null, defaults).unwrap(),
            defaults
        );
    }
}
