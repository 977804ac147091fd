//! Which stop signal each Terraform operation gets, and how many RPCs are in flight.
//!
//! One stop signal per Terraform operation: StopProvider fires the current one, and the next
//! ConfigureProvider (the first call of every Terraform command that can reach the API) starts a
//! fresh one. In `--debug` (reattach) mode one process serves many commands; without the renewal,
//! one Ctrl-C would make every later wait fail at once.
//!
//! SIGTERM (or Ctrl-C in `--debug`) calls [`Operations::terminate`]: the current signal fires, no
//! later signal starts unfired, and [`Operations::drained`] tells when every RPC in flight has
//! returned its answer, so the process can exit without losing an ID.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::resource::{stop_channel, StopHandle, StopSignal};

/// Shared by the provider service and the signal handlers of `run`.
#[derive(Clone)]
pub struct Operations(Arc<Inner>);

struct Inner {
    current: Mutex<(StopHandle, StopSignal)>,
    terminating: AtomicBool,
    in_flight: watch::Sender<usize>,
}

/// Counts one RPC as in flight until dropped.
#[must_use = "the RPC counts as in flight only while the guard lives"]
pub struct InFlight(Arc<Inner>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl Operations {
    pub fn new() -> Operations {
        Operations(Arc::new(Inner {
            current: Mutex::new(stop_channel()),
            terminating: AtomicBool::new(false),
            in_flight: watch::channel(0).0,
        }))
    }

    fn with_current<T>(&self, f: impl FnOnce(&mut (StopHandle, StopSignal)) -> T) -> T {
        // A poisoned lock only means a panic elsewhere held it; the pair inside is still whole.
        let mut guard = self.0.current.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// The signal of the current operation, for a resource call's `Ctx`.
    pub fn signal(&self) -> StopSignal {
        self.with_current(|(_, signal)| signal.clone())
    }

    /// A new Terraform operation begins (ConfigureProvider): if the current signal has fired, the
    /// operation gets a fresh one. Calls still running keep the signal they were given. After
    /// [`Operations::terminate`] nothing is renewed: the process is on its way out.
    pub fn renew(&self) {
        if self.0.terminating.load(Ordering::SeqCst) {
            return;
        }
        self.with_current(|pair| {
            if pair.1.is_stopped() {
                *pair = stop_channel();
                tracing::debug!("new Terraform operation: fresh stop signal");
            }
        });
    }

    /// StopProvider: asks every call of the current operation to stop.
    pub fn stop(&self) {
        self.with_current(|(handle, _)| handle.stop());
    }

    /// SIGTERM: stop as StopProvider does, and never renew again.
    pub fn terminate(&self) {
        self.0.terminating.store(true, Ordering::SeqCst);
        self.stop();
    }

    /// Counts an RPC as in flight while the returned guard lives.
    pub fn enter(&self) -> InFlight {
        self.0.in_flight.send_modify(|n| *n += 1);
        InFlight(self.0.clone())
    }

    /// How many RPCs are in flight now.
    pub fn in_flight(&self) -> usize {
        *self.0.in_flight.borrow()
    }

    /// Completes once no RPC is in flight.
    pub async fn drained(&self) {
        let mut rx = self.0.in_flight.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }
}

impl Default for Operations {
    fn default() -> Self {
        Operations::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A fired signal is replaced at the next operation; an unfired one is kept; calls that
    /// already hold the old signal still see it fired.
    #[test]
    fn renew_replaces_only_a_fired_signal() {
        let ops = Operations::new();
        let first = ops.signal();
        ops.renew();
        assert!(!ops.signal().is_stopped());
        ops.stop();
        assert!(first.is_stopped());
        assert!(ops.signal().is_stopped());
        ops.renew();
        let second = ops.signal();
        assert!(!second.is_stopped(), "the next operation starts unstopped");
        assert!(first.is_stopped(), "the old operation stays stopped");
        ops.stop();
        assert!(second.is_stopped());
    }

    /// After terminate, ConfigureProvider cannot bring back an unstopped signal.
    #[test]
    fn terminate_is_final() {
        let ops = Operations::new();
        ops.terminate();
        ops.renew();
        assert!(ops.signal().is_stopped());
    }

    /// `drained` waits for the last guard to drop.
    #[tokio::test]
    async fn drained_waits_for_guards() {
        let ops = Operations::new();
        let a = ops.enter();
        let b = ops.enter();
        assert_eq!(ops.in_flight(), 2);
        drop(a);
        let waiting = tokio::time::timeout(Duration::from_millis(50), ops.drained()).await;
        assert!(waiting.is_err(), "one call is still in flight");
        drop(b);
        tokio::time::timeout(Duration::from_secs(5), ops.drained())
            .await
            .expect("drained after the last guard");
        assert_eq!(ops.in_flight(), 0);
    }
}
