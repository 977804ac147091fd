//! Account-wide flow control: one token bucket per product and action, shared by every client of
//! the emulator (as Alibaba Cloud's limits are shared by every caller of one account).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// The limit for `action`: its own entry, else `*`. Non-positive or non-finite limits are none.
pub fn limit_for(limits: &BTreeMap<String, f64>, action: &str) -> Option<f64> {
    limits
        .get(action)
        .or_else(|| limits.get("*"))
        .copied()
        .filter(|r| r.is_finite() && *r > 0.0)
}

#[derive(Clone, Debug)]
struct Bucket {
    rate: f64,
    tokens: f64,
    last_ms: i64,
}

/// The buckets, keyed by product and action.
#[derive(Debug, Default)]
pub struct FlowControl {
    buckets: HashMap<(String, String), Bucket>,
}

impl FlowControl {
    /// Takes a token for one request; false when the action's bucket is empty (throttle it).
    /// A bucket holds one second's worth of requests (at least one), and starts full.
    pub fn admit(
        &mut self,
        limits: &BTreeMap<String, f64>,
        product: &str,
        action: &str,
        now_ms: i64,
    ) -> bool {
        let Some(rate) = limit_for(limits, action) else {
            return true;
        };
        let capacity = rate.max(1.0);
        let key = (product.to_string(), action.to_string());
        let bucket = self.buckets.entry(key).or_insert(Bucket {
            rate,
            tokens: capacity,
            last_ms: now_ms,
        });
        if bucket.rate != rate {
            *bucket = Bucket {
                rate,
                tokens: capacity,
                last_ms: now_ms,
            };
        }
        // A clock that steps back refills nothing rather than draining.
        let elapsed_ms = now_ms.saturating_sub(bucket.last_ms).max(0) as f64;
        bucket.tokens = (bucket.tokens + elapsed_ms * rate / 1000.0).min(capacity);
        bucket.last_ms = bucket.last_ms.max(now_ms);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Per-action counts the admin API serves (`GET /_emulator/stats`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ActionStats {
    /// API requests that named this action.
    pub requests: u64,
    /// Of those, answered `Throttling.User` (by flow control or an injected fault).
    pub throttled: u64,
    /// Of those, refused by account-wide flow control.
    pub flow_controlled: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At 10 per second, a burst of 10 passes, the 11th waits; 100 ms later one more passes.
    #[test]
    fn bucket_refills_at_the_rate() {
        let limits: BTreeMap<String, f64> = [("*".to_string(), 10.0)].into();
        let mut f = FlowControl::default();
        let passed = (0..11).filter(|_| f.admit(&limits, "p", "A", 0)).count();
        assert_eq!(passed, 10);
        assert!(!f.admit(&limits, "p", "A", 50));
        assert!(f.admit(&limits, "p", "A", 150));
        assert!(f.admit(&limits, "p", "B", 150), "each action has a bucket");
        assert!(f.admit(&limits, "q", "A", 150), "each product has a bucket");
    }

    /// An action's own limit beats `*`; no limit, or a silly one, is no flow control.
    #[test]
    fn limits_by_action() {
        let limits: BTreeMap<String, f64> = [
            ("*".to_string(), 100.0),
            ("DescribeBackupSetList".to_string(), 1.0),
        ]
        .into();
        assert_eq!(limit_for(&limits, "DescribeBackupSetList"), Some(1.0));
        assert_eq!(limit_for(&limits, "CreateBackup"), Some(100.0));
        let odd: BTreeMap<String, f64> = [("*".to_string(), f64::NAN)].into();
        assert_eq!(limit_for(&odd, "X"), None);
        let mut f = FlowControl::default();
        assert!((0..1000).all(|_| f.admit(&BTreeMap::new(), "p", "A", 0)));
        // Clock extremes neither overflow nor stall the bucket.
        assert!(f.admit(&limits, "p", "DescribeBackupSetList", i64::MIN));
        assert!(!f.admit(&limits, "p", "DescribeBackupSetList", i64::MIN));
        assert!(f.admit(&limits, "p", "DescribeBackupSetList", i64::MAX));
    }
}
