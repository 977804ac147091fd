//! Fault injection: per action (or `*` for all), throttling, server errors, added latency, and
//! "commit, then drop the connection", drawn from a seeded generator so runs repeat.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::ApiFailure;

/// The faults for one action. Rates are probabilities from 0 to 1.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultRule {
    /// Refuse with `Throttling.User` before doing anything.
    pub throttle_rate: f64,
    /// Refuse with `InternalError` (500) or `ServiceUnavailable` (503) before doing anything.
    pub server_error_rate: f64,
    /// Do the action, then close the connection without answering.
    pub drop_after_commit_rate: f64,
    pub latency_ms_min: u64,
    pub latency_ms_max: u64,
}

/// The most latency a rule may add to one request (10 minutes).
pub const MAX_LATENCY_MS: u64 = 600_000;

/// Rules by action name; `*` applies to actions without a rule of their own.
pub type FaultConfig = BTreeMap<String, FaultRule>;

/// What to do with one request, decided before it runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    pub latency_ms: u64,
    /// Refuse with this error instead of running the action.
    pub refuse: Option<ApiFailure>,
    /// Run the action, then drop the connection.
    pub drop_after_commit: bool,
}

impl Decision {
    /// A short name of the injected fault for the request log.
    pub fn label(&self) -> Option<String> {
        if let Some(e) = &self.refuse {
            return Some(e.code.clone());
        }
        self.drop_after_commit
            .then(|| "drop_after_commit".to_string())
    }
}

pub use crate::rng::Rng;

/// Whether a fault of `rate` (0 to 1) strikes this time.
fn hit(rng: &mut Rng, rate: f64) -> bool {
    rate > 0.0 && rng.unit() < rate
}

/// Decides the faults of one request to `action`.
pub fn decide(config: &FaultConfig, action: &str, rng: &mut Rng) -> Decision {
    let Some(rule) = config.get(action).or_else(|| config.get("*")) else {
        return Decision::default();
    };
    let lo = rule.latency_ms_min.min(MAX_LATENCY_MS);
    let hi = rule.latency_ms_max.clamp(lo, MAX_LATENCY_MS);
    let latency_ms = if hi > lo {
        lo + rng.next_u64() % (hi - lo + 1)
    } else {
        lo
    };
    let refuse = if hit(rng, rule.throttle_rate) {
        Some(ApiFailure::throttled())
    } else if hit(rng, rule.server_error_rate) {
        Some(if rng.next_u64() % 2 == 0 {
            ApiFailure::internal_error()
        } else {
            ApiFailure::service_unavailable()
        })
    } else {
        None
    };
    let drop_after_commit = refuse.is_none() && hit(rng, rule.drop_after_commit_rate);
    Decision {
        latency_ms,
        refuse,
        drop_after_commit,
    }
}

/// Parses the command line's `ACTION:KEY=VALUE,...` form into one rule.
pub fn parse_flag(spec: &str) -> Result<(String, FaultRule), String> {
    let (action, rest) = spec
        .split_once(':')
        .ok_or_else(|| format!("fault {spec:?}: expected ACTION:KEY=VALUE,..."))?;
    let mut rule = FaultRule::default();
    for kv in rest.split(',').filter(|s| !s.is_empty()) {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("fault {spec:?}: {kv:?} is not KEY=VALUE"))?;
        let bad = || format!("fault {spec:?}: bad value for {k}");
        match k.trim() {
            "throttle_rate" => rule.throttle_rate = v.parse().map_err(|_| bad())?,
            "server_error_rate" => rule.server_error_rate = v.parse().map_err(|_| bad())?,
            "drop_after_commit_rate" => {
                rule.drop_after_commit_rate = v.parse().map_err(|_| bad())?
            }
            "latency_ms_min" => rule.latency_ms_min = v.parse().map_err(|_| bad())?,
            "latency_ms_max" => rule.latency_ms_max = v.parse().map_err(|_| bad())?,
            other => return Err(format!("fault {spec:?}: unknown key {other}")),
        }
    }
    Ok((action.to_string(), rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rate 1 always fires and rate 0 never does; a specific action rule beats `*`.
    #[test]
    fn rates_and_precedence() {
        let mut cfg = FaultConfig::new();
        cfg.insert(
            "*".into(),
            FaultRule {
                throttle_rate: 1.0,
                ..FaultRule::default()
            },
        );
        cfg.insert(
            "CreateBackup".into(),
            FaultRule {
                drop_after_commit_rate: 1.0,
                latency_ms_min: 5,
                latency_ms_max: 5,
                ..FaultRule::default()
            },
        );
        let mut rng = Rng::new(1);
        let d = decide(&cfg, "DescribeBackups", &mut rng);
        assert_eq!(
            d.refuse.map(|e| e.code),
            Some("Throttling.User".to_string())
        );
        let d = decide(&cfg, "CreateBackup", &mut rng);
        assert!(d.drop_after_commit && d.refuse.is_none());
        assert_eq!(d.latency_ms, 5);
    }

    /// The same seed gives the same sequence of faults.
    #[test]
    fn seeded_runs_repeat() {
        let mut cfg = FaultConfig::new();
        cfg.insert(
            "*".into(),
            FaultRule {
                server_error_rate: 0.5,
                latency_ms_max: 100,
                ..FaultRule::default()
            },
        );
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..20)
                .map(|_| decide(&cfg, "X", &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let refused = run(7).iter().filter(|d| d.refuse.is_some()).count();
        assert!(
            (3..=17).contains(&refused),
            "about half refused, got {refused}"
        );
    }

    /// The flag form parses, and unknown keys are refused with a message naming them.
    #[test]
    fn flag_parsing() {
        let (a, r) =
            parse_flag("CreateBackup:throttle_rate=0.5,latency_ms_max=20").unwrap_or_default();
        assert_eq!(a, "CreateBackup");
        assert_eq!(r.throttle_rate, 0.5);
        assert_eq!(r.latency_ms_max, 20);
        let e = parse_flag("*:nope=1").err().unwrap_or_default();
        assert!(e.contains("unknown key nope"), "{e}");
    }

    /// Latency bounds at the edges of u64 neither overflow nor exceed the cap.
    #[test]
    fn extreme_latency_is_capped() {
        let mut rng = Rng::new(3);
        for (lo, hi) in [(0, u64::MAX), (u64::MAX, u64::MAX), (u64::MAX, 0), (5, 1)] {
            let mut cfg = FaultConfig::new();
            cfg.insert(
                "*".into(),
                FaultRule {
                    latency_ms_min: lo,
                    latency_ms_max: hi,
                    ..FaultRule::default()
                },
            );
            let d = decide(&cfg, "X", &mut rng);
            assert!(
                d.latency_ms <= MAX_LATENCY_MS,
                "{lo}..{hi}: {}",
                d.latency_ms
            );
        }
    }
}
