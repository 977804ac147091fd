//! Dialects: which reading of the API's undocumented points the emulator plays.
//!
//! `documented` is the convenient reading every earlier test was written against. `strict` is the
//! least convenient reading of every open point of docs/api-notes.md at once; each of its
//! behaviours can also be switched on alone by name (`--strict job-ids,page-cap`). The names are a
//! contract shared with the provider's tests and docs/api-notes.md.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The dialect as a whole.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Today's behaviour: the reading the documentation suggests where it says anything.
    #[default]
    Documented,
    /// Every [`Strict`] behaviour at once.
    Strict,
}

impl Dialect {
    pub fn parse(s: &str) -> Result<Dialect, String> {
        match s.trim() {
            "documented" => Ok(Dialect::Documented),
            "strict" => Ok(Dialect::Strict),
            other => Err(format!(
                "unknown dialect {other:?}: use documented or strict"
            )),
        }
    }
}

/// One strict behaviour; see docs/api-notes.md, "The emulator's dialects".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Strict {
    /// PolarDB CreateBackup's `BackupJobId` is not the `BackupId` other actions take.
    #[serde(rename = "job-ids")]
    JobIds,
    /// PolarDB DescribeBackups lists a backup only once it finished.
    #[serde(rename = "finished-only")]
    FinishedOnly,
    /// PolarDB DescribeBackupTasks lists a job only while it runs.
    #[serde(rename = "tasks-vanish")]
    TasksVanish,
    /// GET-only actions refuse POST.
    #[serde(rename = "get-only")]
    GetOnly,
    /// PolarDB-X errors are HTTP 200 with `Success: false` and no `Code`.
    #[serde(rename = "success-false")]
    SuccessFalse,
    /// Every other PolarDB-X CreateBackup of an instance is committed, then answered with a 502.
    #[serde(rename = "gateway-502")]
    Gateway502,
    /// `PageSize` is capped at [`PAGE_CAP`].
    #[serde(rename = "page-cap")]
    PageCap,
    /// The product is chosen by the endpoint the request arrives on.
    #[serde(rename = "host-product")]
    HostProduct,
    /// `RegionId` must be the cluster's or instance's region.
    #[serde(rename = "region-check")]
    RegionCheck,
}

/// The page size the server keeps to under `page-cap`, whatever was asked.
pub const PAGE_CAP: u64 = 5;

impl Strict {
    pub const ALL: [Strict; 9] = [
        Strict::JobIds,
        Strict::FinishedOnly,
        Strict::TasksVanish,
        Strict::GetOnly,
        Strict::SuccessFalse,
        Strict::Gateway502,
        Strict::PageCap,
        Strict::HostProduct,
        Strict::RegionCheck,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Strict::JobIds => "job-ids",
            Strict::FinishedOnly => "finished-only",
            Strict::TasksVanish => "tasks-vanish",
            Strict::GetOnly => "get-only",
            Strict::SuccessFalse => "success-false",
            Strict::Gateway502 => "gateway-502",
            Strict::PageCap => "page-cap",
            Strict::HostProduct => "host-product",
            Strict::RegionCheck => "region-check",
        }
    }

    pub fn parse(s: &str) -> Result<Strict, String> {
        let s = s.trim();
        Strict::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Strict::ALL.iter().map(|b| b.name()).collect();
                format!(
                    "unknown strict behaviour {s:?}: use one of {}",
                    names.join(", ")
                )
            })
    }

    /// Parses the `--strict` flag's comma-separated list.
    pub fn parse_list(s: &str) -> Result<BTreeSet<Strict>, String> {
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(Strict::parse)
            .collect()
    }
}

impl fmt::Display for Strict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `behaviour` is on under `dialect` plus the individually chosen `chosen`.
pub fn is_on(dialect: Dialect, chosen: &BTreeSet<Strict>, behaviour: Strict) -> bool {
    dialect == Dialect::Strict || chosen.contains(&behaviour)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name parses back to its behaviour and serde spells it the same way.
    #[test]
    fn names_round_trip() {
        for b in Strict::ALL {
            assert_eq!(Strict::parse(b.name()), Ok(b));
            assert_eq!(serde_json::to_value(b).ok(), Some(b.name().into()));
        }
        let e = Strict::parse("jobids").err().unwrap_or_default();
        assert!(e.contains("job-ids"), "the error lists the names: {e}");
        assert_eq!(
            Strict::parse_list("page-cap, get-only").map(|s| s.len()),
            Ok(2)
        );
    }

    /// `strict` switches on everything; `documented` only what was chosen.
    #[test]
    fn dialect_switches() {
        let chosen: BTreeSet<Strict> = [Strict::PageCap].into();
        assert!(is_on(Dialect::Documented, &chosen, Strict::PageCap));
        assert!(!is_on(Dialect::Documented, &chosen, Strict::JobIds));
        assert!(is_on(Dialect::Strict, &BTreeSet::new(), Strict::JobIds));
        assert_eq!(Dialect::parse("strict"), Ok(Dialect::Strict));
        assert!(Dialect::parse("loose").is_err());
    }
}
