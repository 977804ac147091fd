//! Durations as users write them (`"2h"`, `"20m"`, `"1h30m"`, `"500ms"`): one parser for the
//! `timeouts` blocks and the provider's duration arguments (`max_retry_timeout`,
//! `connect_timeout`, `read_timeout`), so every duration in this provider is written the same
//! way. Neutral ground: `provider/` and `resources/` both use it.

use std::time::Duration;

use crate::diagnostics::{AttributePath, Diagnostic};
use crate::tfvalue::Value;

/// The longest duration accepted anywhere: longer ones are surely typos and would overflow
/// deadline arithmetic.
const MAX: Duration = Duration::from_secs(7 * 24 * 3600);

/// Parses a Go-style duration: one or more `<integer><unit>` parts with units `h`, `m`, `s`,
/// `ms`, e.g. `"1h30m"`. Zero, negative and empty durations are refused with the reason.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let text = s.trim();
    if text.is_empty() {
        return Err("the duration is empty".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!(
                "\"{s}\" does not start each part with a whole number"
            ));
        }
        let (number, after) = rest.split_at(digits);
        let n: u64 = number
            .parse()
            .map_err(|_| format!("\"{number}\" is too large"))?;
        let unit_len = after
            .bytes()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let (unit, after) = after.split_at(unit_len);
        let part = match unit {
            "h" => n.checked_mul(3600).map(Duration::from_secs),
            "m" => n.checked_mul(60).map(Duration::from_secs),
            "s" => Some(Duration::from_secs(n)),
            "ms" => Some(Duration::from_millis(n)),
            "" => return Err(format!("\"{s}\" has a number without a unit")),
            other => return Err(format!("\"{other}\" is not a unit (use h, m, s or ms)")),
        };
        total = part
            .and_then(|p| total.checked_add(p))
            .filter(|t| *t <= MAX)
            .ok_or_else(|| format!("\"{s}\" is longer than 7 days"))?;
        rest = after;
    }
    if total.is_zero() {
        return Err(format!("\"{s}\" is zero; a duration must be positive"));
    }
    Ok(total)
}

/// A duration argument: `Ok(None)` when null or unknown (the caller uses its default),
/// a diagnostic naming `path` when it does not parse.
pub fn duration_at(
    value: Option<&Value>,
    path: AttributePath,
) -> Result<Option<Duration>, Diagnostic> {
    match value {
        Some(Value::String(s)) => parse_duration(s)
            .map(Some)
            .map_err(|problem| crate::diagnostics::invalid_duration(path, &problem)),
        _ => Ok(None),
    }
}
