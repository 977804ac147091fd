//! The one waiter: polls until an operation is done, with a jittered backoff, bounded by a
//! timeout and cut short by `StopProvider`.
//!
//! The first check runs at once (a backup of a small cluster may already be done). Then the
//! interval doubles from 500 ms, with jitter so that many resources created in one apply do not
//! poll in lockstep. The interval's cap grows with the time already waited: 2.5 s during the
//! first two minutes (a 30-second backup is seen done within 3 s of finishing), then a tenth of
//! the time waited, at most 60 s (an operation is seen done at most 10 % late; a 2-hour backup
//! costs 178-222 calls, a 30-minute one 88-109: see `two_hour_backup_is_cheap`).
//! Each poll is a single API call whose answer also carries the finished object, so a backup
//! that completes between two polls is confirmed by exactly one more call.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::alicloud::ApiError;
use crate::resource::StopSignal;

/// One poll's answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Poll<T> {
    /// Finished (successfully or not: the caller judges the object).
    Done(T),
    /// Still running: what was seen (if anything) and a short status for the log.
    Pending(Option<T>, String),
}

/// Why waiting ended without the object being done. Each carries the last object seen, so the
/// caller can still write what it knows to state.
#[derive(Debug)]
pub enum WaitError<T> {
    Timeout {
        waited: Duration,
        status: String,
        last: Option<T>,
    },
    Stopped {
        status: String,
        last: Option<T>,
    },
    Api {
        error: ApiError,
        last: Option<T>,
    },
}

/// The polling schedule (tests shrink it).
#[derive(Clone, Debug)]
pub struct Schedule {
    pub initial: Duration,
    /// `(waited so far below this, cap)` pairs in increasing order.
    pub caps: Vec<(Duration, Duration)>,
    /// Past the listed caps, the cap is a tenth of the time waited, at most this.
    pub final_cap: Duration,
}

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule {
            initial: Duration::from_millis(500),
            caps: vec![(Duration::from_secs(120), Duration::from_millis(2500))],
            final_cap: Duration::from_secs(60),
        }
    }
}

impl Schedule {
    /// The un-jittered interval before poll number `n + 1` (`n` polls done), after `waited`.
    pub fn interval(&self, n: u32, waited: Duration) -> Duration {
        let cap = match self.caps.iter().find(|(below, _)| waited < *below) {
            Some((_, cap)) => *cap,
            None => {
                let floor = self.caps.last().map_or(self.initial, |(_, cap)| *cap);
                (waited / 10).max(floor).min(self.final_cap)
            }
        };
        let factor = 1u32
            .checked_shl(n.saturating_sub(1).min(20))
            .unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(cap)
    }
}

/// Polls `poll` until it reports [`Poll::Done`], the `timeout` passes, `stop` fires, or a poll
/// fails (API calls retry transient failures themselves; an error here is final).
/// `what` names the operation in debug logs, e.g. `"backup pc-x:123"`.
pub async fn wait_for<T, F, Fut>(
    what: &str,
    timeout: Duration,
    schedule: &Schedule,
    stop: &StopSignal,
    mut poll: F,
) -> Result<T, WaitError<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, ApiError>>,
{
    let start = Instant::now();
    let deadline = start + timeout;
    let mut polls = 0u32;
    let mut last = None;
    let mut status = String::from("not yet seen");
    loop {
        if stop.is_stopped() {
            return Err(WaitError::Stopped { status, last });
        }
        polls += 1;
        let result = tokio::select! {
            r = poll() => r,
            () = stop.stopped() => return Err(WaitError::Stopped { status, last }),
        };
        match result {
            Ok(Poll::Done(t)) => {
                tracing::debug!(
                    what,
                    polls,
                    waited_ms = start.elapsed().as_millis() as u64,
                    "done"
                );
                return Ok(t);
            }
            Ok(Poll::Pending(seen, s)) => {
                if seen.is_some() {
                    last = seen;
                }
                status = s;
            }
            Err(error) => return Err(WaitError::Api { error, last }),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(WaitError::Timeout {
                waited: start.elapsed(),
                status,
                last,
            });
        }
        let pause = jitter(schedule.interval(polls, start.elapsed())).min(deadline - now);
        tracing::debug!(
            what,
            polls,
            status = status.as_str(),
            next_poll_ms = pause.as_millis() as u64,
            "still waiting"
        );
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = stop.stopped() => return Err(WaitError::Stopped { status, last }),
        }
    }
}

/// Scales `d` by a random factor in [0.8, 1.0]: spreads polls without ever waiting longer
/// than the schedule says.
fn jitter(d: Duration) -> Duration {
    let mut b = [0u8; 2];
    let r = match getrandom::fill(&mut b) {
        Ok(()) => f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX),
        Err(_) => 1.0,
    };
    d.mul_f64(0.8 + 0.2 * r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn fast() -> Schedule {
        Schedule {
            initial: Duration::from_millis(1),
            caps: vec![],
            final_cap: Duration::from_millis(4),
        }
    }

    /// The default schedule starts at 500 ms, doubles, and stays under 3 s for two minutes.
    #[test]
    fn default_schedule_shape() {
        let s = Schedule::default();
        let secs = Duration::from_secs;
        // (poll, time waited so far, pause before the next poll)
        for (poll, waited, pause) in [
            (1, Duration::ZERO, Duration::from_millis(500)),
            (2, secs(1), secs(1)),
            (3, secs(2), secs(2)),
            (9, secs(100), Duration::from_millis(2500)),
            (9, secs(300), secs(30)),
            (99, secs(3600), secs(60)),
        ] {
            assert_eq!(s.interval(poll, waited), pause, "poll {poll} at {waited:?}");
        }
    }

    /// Worst case (every pause jittered to 80 %), a 2-hour backup costs at most 222 polls, and
    /// during the first two minutes no pause exceeds 2.5 s (a 30 s backup is seen within 3 s).
    #[test]
    fn two_hour_backup_is_cheap() {
        let s = Schedule::default();
        let (mut waited, mut polls) = (Duration::ZERO, 1u32);
        while waited < Duration::from_secs(7200) {
            let pause = s.interval(polls, waited);
            if waited < Duration::from_secs(120) {
                assert!(
                    pause <= Duration::from_millis(2500),
                    "{pause:?} at {waited:?}"
                );
            }
            waited += pause.mul_f64(0.8);
            polls += 1;
        }
        assert!(polls <= 222, "{polls} polls for two hours");
    }

    /// A done answer on the first poll returns at once after one call.
    #[tokio::test]
    async fn first_check_is_immediate() {
        let calls = Cell::new(0);
        let started = Instant::now();
        let r = wait_for(
            "t",
            Duration::from_secs(5),
            &Schedule::default(),
            &StopSignal::never(),
            || {
                calls.set(calls.get() + 1);
                async { Ok::<_, ApiError>(Poll::Done(7)) }
            },
        )
        .await;
        assert_eq!(r.ok(), Some(7));
        assert_eq!(calls.get(), 1);
        assert!(started.elapsed() < Duration::from_millis(100));
    }

    /// Pending answers are polled again until done; the count of calls matches.
    #[tokio::test]
    async fn polls_until_done() {
        let calls = Cell::new(0);
        let r = wait_for(
            "t",
            Duration::from_secs(5),
            &fast(),
            &StopSignal::never(),
            || {
                let n = calls.get() + 1;
                calls.set(n);
                async move {
                    Ok::<_, ApiError>(if n < 3 {
                        Poll::Pending(Some(n), "running".into())
                    } else {
                        Poll::Done(n)
                    })
                }
            },
        )
        .await;
        assert_eq!(r.ok(), Some(3));
        assert_eq!(calls.get(), 3);
    }

    /// A timeout returns the last seen object and status.
    #[tokio::test]
    async fn timeout_keeps_last_seen() {
        let r = wait_for(
            "t",
            Duration::from_millis(20),
            &fast(),
            &StopSignal::never(),
            || async { Ok::<_, ApiError>(Poll::Pending(Some(1), "Backing".into())) },
        )
        .await;
        match r {
            Err(WaitError::Timeout { status, last, .. }) => {
                assert_eq!(status, "Backing");
                assert_eq!(last, Some(1));
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
    }

    /// A stop request ends the wait promptly, even in a long pause.
    #[tokio::test]
    async fn stop_ends_wait() {
        let (handle, signal) = crate::resource::stop_channel();
        let slow = Schedule {
            initial: Duration::from_secs(60),
            caps: vec![],
            final_cap: Duration::from_secs(60),
        };
        let started = Instant::now();
        let waiting = wait_for("t", Duration::from_secs(600), &slow, &signal, || async {
            Ok::<_, ApiError>(Poll::<u8>::Pending(None, "running".into()))
        });
        let stopper = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            handle.stop();
        };
        let (r, ()) = tokio::join!(waiting, stopper);
        assert!(matches!(r, Err(WaitError::Stopped { .. })), "{r:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    /// Jitter never lengthens the interval and never shrinks it below 80 %.
    #[test]
    fn jitter_bounds() {
        for _ in 0..100 {
            let j = jitter(Duration::from_millis(1000));
            assert!(
                j >= Duration::from_millis(800) && j <= Duration::from_millis(1000),
                "{j:?}"
            );
        }
    }
}
