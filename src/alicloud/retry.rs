//! The one retry policy: exponential backoff with full jitter, bounded by `max_retry_timeout`.
//!
//! Full jitter (a uniform delay in `[0, min(cap, base * 2^n)]`) spreads the retries of many
//! Terraform resources that were throttled together, instead of having them return in lock-step.
//! A positive `x-acs-retry-after` header (milliseconds) from the service is a floor: we never come
//! back sooner than asked. The whole sequence stops once the next wait would cross the budget.

use std::time::Duration;

use super::error::{ApiError, ErrorKind};
use crate::redact::debug_fields;

/// First backoff ceiling.
pub const BASE_DELAY: Duration = Duration::from_millis(200);
/// Largest backoff ceiling.
pub const MAX_DELAY: Duration = Duration::from_secs(5);

/// How long failures that say nothing about the API (connection refused, DNS, TLS, no answer,
/// an answer that is not the API's) are retried while the endpoint has never answered like the
/// API: long enough to ride out a blip, short enough that a wrong endpoint fails in seconds.
pub const ENDPOINT_BUDGET: Duration = Duration::from_secs(10);
/// The deadline of one attempt against an endpoint that has never answered like the API (the
/// API answers in well under a second; `connect_timeout` + `read_timeout` apply once it has).
pub const UNVERIFIED_ATTEMPT_DEADLINE: Duration = Duration::from_secs(5);

/// A source of uniformly random `u64`s; injectable so tests get exact delays.
pub type Random = Box<dyn FnMut() -> u64 + Send>;

/// Random numbers from the operating system (`getrandom`). If the OS source fails the delay
/// falls back to the full ceiling, which is still a valid (if less spread) backoff.
pub fn os_random() -> Random {
    Box::new(|| {
        let mut b = [0u8; 8];
        match getrandom::fill(&mut b) {
            Ok(()) => u64::from_le_bytes(b),
            Err(_) => u64::MAX,
        }
    })
}

/// The delays of one call's retries.
pub struct Backoff {
    base: Duration,
    cap: Duration,
    retries: u32,
    random: Random,
}

debug_fields!(Backoff { base, cap, retries });

impl Backoff {
    pub fn new(base: Duration, cap: Duration, random: Random) -> Backoff {
        Backoff {
            base,
            cap,
            retries: 0,
            random,
        }
    }

    /// The standard policy with OS randomness.
    pub fn standard() -> Backoff {
        Backoff::new(BASE_DELAY, MAX_DELAY, os_random())
    }

    /// The ceiling for the current retry: `min(cap, base * 2^retries)`.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.retries.min(20)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The wait before the next attempt: uniform in `[0, ceiling]`, at least `retry_after`.
    pub fn next_delay(&mut self, retry_after: Option<Duration>) -> Duration {
        let ceiling = self.ceiling();
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        let r = (self.random)();
        let jittered = Duration::from_millis(if ceiling_ms == u64::MAX {
            r
        } else {
            r % (ceiling_ms + 1)
        });
        self.retries = self.retries.saturating_add(1);
        match retry_after {
            Some(floor) if floor > jittered => floor,
            _ => jittered,
        }
    }
}

/// Reads `x-acs-retry-after`: a positive number of milliseconds; anything else is ignored.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    match value.trim().parse::<u64>() {
        Ok(ms) if ms > 0 => Some(Duration::from_millis(ms)),
        _ => None,
    }
}

/// Whether `err` may be retried at all: retryable kinds, and `Ambiguous` only when repeating the
/// call is harmless.
pub fn should_retry(err: &ApiError, idempotent: bool) -> bool {
    err.is_retryable() || (idempotent && err.kind == ErrorKind::Ambiguous)
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// Give up: the error is final.
    Stop,
    /// Give up: the error was retryable but the budget is spent.
    BudgetExhausted,
}

/// Decides after a failed attempt, given the time already spent and the budget.
pub fn decide(
    err: &ApiError,
    idempotent: bool,
    elapsed: Duration,
    budget: Duration,
    backoff: &mut Backoff,
    retry_after: Option<Duration>,
) -> Decision {
    if !should_retry(err, idempotent) {
        return Decision::Stop;
    }
    let delay = backoff.next_delay(retry_after);
    if elapsed.saturating_add(delay) > budget {
        Decision::BudgetExhausted
    } else {
        Decision::RetryAfter(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(values: Vec<u64>) -> Random {
        let mut it = values.into_iter().cycle();
        Box::new(move || it.next().unwrap_or(0))
    }

    fn err(kind: ErrorKind) -> ApiError {
        ApiError::local(kind, "A", "C", "m")
    }

    /// Ceilings double from the base and stop at the cap.
    #[test]
    fn ceilings_double_then_cap() {
        let mut b = Backoff::new(BASE_DELAY, MAX_DELAY, fixed(vec![u64::MAX - 1]));
        let mut ceilings = Vec::new();
        for _ in 0..8 {
            ceilings.push(b.ceiling().as_millis());
            b.next_delay(None);
        }
        assert_eq!(ceilings, vec![200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    }

    /// Full jitter: the delay is the random value modulo the ceiling (inclusive).
    #[test]
    fn jitter_is_within_ceiling() {
        let mut b = Backoff::new(BASE_DELAY, MAX_DELAY, fixed(vec![150, 1000, 0]));
        assert_eq!(b.next_delay(None), Duration::from_millis(150));
        assert_eq!(b.next_delay(None), Duration::from_millis(1000 % 401));
        assert_eq!(b.next_delay(None), Duration::ZERO);
        let mut os = Backoff::standard();
        for _ in 0..50 {
            assert!(os.next_delay(None) <= MAX_DELAY);
        }
    }

    /// A positive retry-after is a floor; zero, negative and junk are ignored.
    #[test]
    fn retry_after_is_a_floor() {
        assert_eq!(parse_retry_after("1500"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_after("0"), None);
        assert_eq!(parse_retry_after("-5"), None);
        assert_eq!(parse_retry_after("soon"), None);
        let mut b = Backoff::new(BASE_DELAY, MAX_DELAY, fixed(vec![10]));
        assert_eq!(
            b.next_delay(Some(Duration::from_millis(1500))),
            Duration::from_millis(1500)
        );
    }

    /// Final kinds stop at once; Ambiguous retries only when idempotent; the budget ends retries.
    #[test]
    fn decisions() {
        let mut b = Backoff::new(BASE_DELAY, MAX_DELAY, fixed(vec![100]));
        let budget = Duration::from_secs(1);
        let z = Duration::ZERO;
        assert_eq!(
            decide(&err(ErrorKind::NotFound), true, z, budget, &mut b, None),
            Decision::Stop
        );
        assert_eq!(
            decide(&err(ErrorKind::Ambiguous), false, z, budget, &mut b, None),
            Decision::Stop
        );
        assert_eq!(
            decide(&err(ErrorKind::Ambiguous), true, z, budget, &mut b, None),
            Decision::RetryAfter(Duration::from_millis(100))
        );
        assert_eq!(
            decide(
                &err(ErrorKind::Throttling),
                false,
                Duration::from_millis(950),
                budget,
                &mut b,
                None
            ),
            Decision::BudgetExhausted
        );
    }
}
