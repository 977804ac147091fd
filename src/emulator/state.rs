//! Everything the emulator remembers: clusters, instances, backups, idempotency tokens and
//! behaviour settings, optionally saved as JSON so a demo survives a restart.
//!
//! Backups are never advanced by a background task: each one records when it started, how long it
//! takes and whether it will fail, and its status is computed from the clock when asked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::dialect::{self, Dialect, Strict};
use super::error::ApiFailure;

/// Behaviour switches the admin API and the command line can change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// How long a new backup takes to finish.
    pub backup_duration_ms: u64,
    /// Answer PolarDB-X CreateBackup's `Data` as an object with a string id (the current API, and
    /// what the current official SDK's model requires) rather than an array with a number id (older
    /// API versions). Default: object.
    pub polardbx_data_as_object: bool,
    /// How many of the next backups (either product) will end in failure.
    pub fail_next_backups: u32,
    /// `documented` (default) or `strict` (every strict behaviour at once).
    pub dialect: Dialect,
    /// Strict behaviours switched on one by one, e.g. `["job-ids", "page-cap"]`.
    pub strict: BTreeSet<Strict>,
    /// Account-wide flow control: requests per second per action (`*` for every action without
    /// its own entry). Absent: no limit.
    pub rate_limit: BTreeMap<String, f64>,
}

/// The longest a backup may be told to take (30 days): longer is a typo, and would overflow.
pub const MAX_BACKUP_DURATION_MS: u64 = 30 * 24 * 3600 * 1000;
/// The highest rate limit, in requests per second.
pub const MAX_RATE_LIMIT: f64 = 1_000_000.0;

impl Settings {
    /// Refuses values no run needs and arithmetic cannot take.
    pub fn validate(&self) -> Result<(), String> {
        if self.backup_duration_ms > MAX_BACKUP_DURATION_MS {
            return Err(format!(
                "backup_duration_ms {} is over the maximum {MAX_BACKUP_DURATION_MS} (30 days)",
                self.backup_duration_ms
            ));
        }
        for (action, rate) in &self.rate_limit {
            if !(rate.is_finite() && *rate > 0.0 && *rate <= MAX_RATE_LIMIT) {
                return Err(format!(
                    "rate_limit {action:?} is {rate}: want requests per second above 0 and at most {MAX_RATE_LIMIT}"
                ));
            }
        }
        Ok(())
    }

    /// Whether a strict behaviour is on, by the dialect or by name.
    pub fn strict(&self, behaviour: Strict) -> bool {
        dialect::is_on(self.dialect, &self.strict, behaviour)
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            backup_duration_ms: 2000,
            polardbx_data_as_object: true,
            fail_next_backups: 0,
            dialect: Dialect::Documented,
            strict: BTreeSet::new(),
            rate_limit: BTreeMap::new(),
        }
    }
}

/// A PolarDB cluster or PolarDB-X instance: only its status matters here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub status: String,
    pub region: String,
}

/// How far a backup has got at a given moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Running; the fraction done in per mille.
    Running(u32),
    Success,
    Failed,
}

/// What both products' backups share: timing and outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub started_ms: i64,
    pub duration_ms: u64,
    pub fails: bool,
    pub size_bytes: u64,
}

impl Job {
    pub fn end_ms(&self) -> i64 {
        self.started_ms
            .saturating_add(i64::try_from(self.duration_ms).unwrap_or(i64::MAX))
    }

    pub fn progress(&self, now_ms: i64) -> Progress {
        if now_ms >= self.end_ms() {
            if self.fails {
                Progress::Failed
            } else {
                Progress::Success
            }
        } else {
            let done = u64::try_from(now_ms.saturating_sub(self.started_ms)).unwrap_or(0);
            let per_mille = u128::from(done) * 1000 / u128::from(self.duration_ms.max(1));
            Progress::Running(u32::try_from(per_mille.min(999)).unwrap_or(999))
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolardbBackup {
    /// The id DescribeBackups and DeleteBackup use.
    pub backup_id: String,
    /// The id CreateBackup answered and DescribeBackupTasks uses: the backup id itself unless
    /// `job-ids` was on when it was created.
    #[serde(default)]
    pub job_id: String,
    pub db_cluster_id: String,
    pub client_token: Option<String>,
    pub job: Job,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolardbxBackup {
    pub backup_set_id: u64,
    pub db_instance_name: String,
    pub region_id: String,
    pub backup_type: String,
    pub job: Job,
}

impl PolardbBackup {
    /// The job id (older state files have none: the backup id then).
    pub fn job_id(&self) -> &str {
        if self.job_id.is_empty() {
            &self.backup_id
        } else {
            &self.job_id
        }
    }
}

/// What a `ClientToken` was first used for, to replay or refuse a repeat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub db_cluster_id: String,
    /// The `BackupJobId` answered the first time.
    pub backup_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    pub clusters: BTreeMap<String, Target>,
    pub instances: BTreeMap<String, Target>,
    pub polardb_backups: Vec<PolardbBackup>,
    pub polardbx_backups: Vec<PolardbxBackup>,
    pub tokens: BTreeMap<String, TokenRecord>,
    /// The next backup id; ids look like the cloud's numeric ones.
    pub next_id: u64,
    pub settings: Settings,
}

impl Default for State {
    fn default() -> State {
        State {
            clusters: BTreeMap::new(),
            instances: BTreeMap::new(),
            polardb_backups: Vec::new(),
            polardbx_backups: Vec::new(),
            tokens: BTreeMap::new(),
            next_id: 11_000_001,
            settings: Settings::default(),
        }
    }
}

/// Errors reading or writing the state file.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    #[error("reading state file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("state file {path} is not valid emulator state: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("writing state file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

impl State {
    /// A new backup job starting now, taking the configured time, failing if a failure is queued.
    pub fn new_job(&mut self, now_ms: i64) -> Job {
        let fails = self.settings.fail_next_backups > 0;
        if fails {
            self.settings.fail_next_backups -= 1;
        }
        Job {
            started_ms: now_ms,
            duration_ms: self.settings.backup_duration_ms,
            fails,
            size_bytes: 7_251_056_640 + (self.next_id % 97) * 1_048_576,
        }
    }

    /// The PolarDB cluster `id`, or the API's not-found error for it.
    pub fn cluster(&self, id: &str) -> Result<&Target, ApiFailure> {
        self.clusters
            .get(id)
            .ok_or_else(ApiFailure::cluster_not_found)
    }

    /// The PolarDB-X instance `name`, or the API's not-found error for it.
    pub fn instance(&self, name: &str) -> Result<&Target, ApiFailure> {
        self.instances
            .get(name)
            .ok_or_else(ApiFailure::instance_not_found)
    }

    pub fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        id
    }

    /// Loads the state file; `Ok(None)` when it does not exist yet.
    pub fn load(path: &Path) -> Result<Option<State>, StateFileError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StateFileError::Read {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|source| StateFileError::Parse {
                path: path.display().to_string(),
                source,
            })
    }

    /// Writes the state file atomically, so a crash never leaves half a file, and without
    /// following symlinks: the text goes to a new file of a fresh random name beside it, created
    /// with `O_CREAT|O_EXCL` (which fails on any existing name, a symlink included, rather than
    /// follow it), which then replaces the path itself by rename (a link there is replaced, not
    /// followed).
    pub fn save(&self, path: &Path) -> Result<(), StateFileError> {
        use std::io::Write;
        let err = |source| StateFileError::Write {
            path: path.display().to_string(),
            source,
        };
        let text = serde_json::to_string_pretty(self).map_err(|e| err(std::io::Error::other(e)))?;
        // A fresh name each time: a name someone prepared cannot be guessed.
        let nonce = getrandom::u64().unwrap_or_else(|_| {
            let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            t.map(|d| d.as_nanos() as u64).unwrap_or(0) ^ u64::from(std::process::id())
        });
        let name = format!(
            ".{}.{}.tmp",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "state".into()),
            nonce
        );
        let tmp = path.with_file_name(name);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            // Owner-only, as the state names clusters and tokens.
            opts.mode(0o600);
        }
        let written = opts.open(&tmp).and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.sync_all()
        });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(err(e));
        }
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            err(e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job runs for its duration, then succeeds or fails as decided at creation.
    #[test]
    fn job_progress_over_time() {
        let ok = Job {
            started_ms: 1000,
            duration_ms: 2000,
            fails: false,
            size_bytes: 1,
        };
        assert_eq!(ok.progress(1000), Progress::Running(0));
        assert_eq!(ok.progress(2000), Progress::Running(500));
        assert_eq!(ok.progress(3000), Progress::Success);
        let bad = Job { fails: true, ..ok };
        assert_eq!(bad.progress(2999), Progress::Running(999));
        assert_eq!(bad.progress(5000), Progress::Failed);
    }

    /// Queued failures are consumed one backup at a time.
    #[test]
    fn fail_next_backups_is_consumed() {
        let mut s = State::default();
        s.settings.fail_next_backups = 1;
        assert!(s.new_job(0).fails);
        assert!(!s.new_job(0).fails);
        assert_eq!(s.settings.fail_next_backups, 0);
    }

    /// State written to a file reads back equal; a missing file is no state, not an error.
    #[test]
    fn persistence_round_trip() {
        let dir = std::env::temp_dir().join(format!("emu-state-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("state.json");
        let _ = std::fs::remove_file(&path);
        assert!(matches!(State::load(&path), Ok(None)));
        let mut s = State::default();
        s.clusters.insert(
            "pc-1".into(),
            Target {
                status: "Running".into(),
                region: "cn-hangzhou".into(),
            },
        );
        let job = s.new_job(5);
        s.polardb_backups.push(PolardbBackup {
            backup_id: "1".into(),
            job_id: String::new(),
            db_cluster_id: "pc-1".into(),
            client_token: Some("t".into()),
            job,
        });
        assert!(s.save(&path).is_ok());
        assert_eq!(State::load(&path).ok().flatten(), Some(s));
        std::fs::write(&path, "{not json").ok();
        assert!(matches!(
            State::load(&path),
            Err(StateFileError::Parse { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Jobs from a tampered state file (times and durations at the edges) neither overflow nor
    /// report more than done; ids stop at the top instead of wrapping.
    #[test]
    fn extreme_jobs_do_not_overflow() {
        for (started_ms, duration_ms) in [
            (i64::MAX, u64::MAX),
            (i64::MIN, u64::MAX),
            (i64::MIN, 1),
            (0, 0),
        ] {
            let j = Job {
                started_ms,
                duration_ms,
                fails: false,
                size_bytes: 0,
            };
            for now in [i64::MIN, 0, i64::MAX] {
                if let Progress::Running(p) = j.progress(now) {
                    assert!(p < 1000, "{started_ms} {duration_ms} {now}: {p}");
                }
            }
        }
        let mut s = State {
            next_id: u64::MAX,
            ..State::default()
        };
        assert_eq!(s.take_id(), u64::MAX);
        assert_eq!(s.take_id(), u64::MAX);
        let bad = Settings {
            backup_duration_ms: u64::MAX,
            ..Settings::default()
        };
        assert!(bad.validate().is_err());
        assert!(Settings::default().validate().is_ok());
    }
}
