//! PolarDB 2017-08-01 backup actions: CreateBackup, DescribeBackups, DescribeBackupTasks and
//! DeleteBackup, with the cloud's quota, idempotency and status rules.

use serde_json::{json, Value};

use super::actions::Action;
use super::dialect::{Strict, PAGE_CAP};
use super::error::ApiFailure;
use super::request::ApiRequest;
use super::state::{PolardbBackup, Progress, State, TokenRecord};
use crate::timefmt;

pub const VERSION: &str = "2017-08-01";
pub const ACTIONS: &[Action] = &[
    Action::Write("CreateBackup", create_backup),
    Action::Read("DescribeBackups", describe_backups),
    Action::Read("DescribeBackupTasks", describe_backup_tasks),
    Action::Write("DeleteBackup", delete_backup),
];

/// A cluster holds at most this many manual backups.
pub const MANUAL_BACKUP_QUOTA: usize = 3;

/// How long the cloud keeps a manual backup (shown as `ExpectExpireTime`).
const RETENTION_MS: i64 = 7 * 24 * 3600 * 1000;

/// The task stages DescribeBackupTasks reports, with the share of the run at which each begins.
const STAGES: &[(u32, &str)] = &[
    (0, "NoStart"),
    (100, "Preparing"),
    (250, "Waiting"),
    (400, "Uploading"),
    (850, "Checking"),
];

/// The cluster, when it exists (and, under `region-check`, is in the request's `RegionId` when one
/// is given: PolarDB actions take the region from the endpoint and have no `RegionId` parameter).
fn known_cluster(req: &ApiRequest, state: &State, id: &str) -> Result<(), ApiFailure> {
    let c = state.cluster(id)?;
    if state.settings.strict(Strict::RegionCheck) {
        if let Some(region) = req.param("RegionId").filter(|r| !r.is_empty()) {
            if region != c.region {
                return Err(ApiFailure::cluster_not_found());
            }
        }
    }
    Ok(())
}

fn running_cluster(req: &ApiRequest, state: &State, id: &str) -> Result<(), ApiFailure> {
    known_cluster(req, state, id)?;
    if state.cluster(id)?.status == "Running" {
        Ok(())
    } else {
        Err(ApiFailure::cluster_status())
    }
}

fn create_backup(req: &ApiRequest, state: &mut State, now_ms: i64) -> Result<Value, ApiFailure> {
    let cluster = req.required("DBClusterId")?;
    let token = req.param("ClientToken").filter(|t| !t.is_empty());
    if let Some(t) = token {
        if t.len() > 64 || !t.is_ascii() {
            return Err(ApiFailure::malformed("ClientToken"));
        }
        if let Some(rec) = state.tokens.get(t) {
            if rec.db_cluster_id != cluster {
                return Err(ApiFailure::idempotent_mismatch());
            }
            return Ok(json!({ "BackupJobId": rec.backup_id }));
        }
    }
    running_cluster(req, state, cluster)?;
    let manual = state
        .polardb_backups
        .iter()
        .filter(|b| b.db_cluster_id == cluster && !b.job.fails)
        .count();
    if manual >= MANUAL_BACKUP_QUOTA {
        return Err(ApiFailure::backup_quota());
    }
    let backup_id = state.take_id().to_string();
    // Under `job-ids` the job has an id of its own, and the backup's id is never answered here.
    let job_id = if state.settings.strict(Strict::JobIds) {
        state.take_id().to_string()
    } else {
        backup_id.clone()
    };
    let job = state.new_job(now_ms);
    state.polardb_backups.push(PolardbBackup {
        backup_id,
        job_id: job_id.clone(),
        db_cluster_id: cluster.to_string(),
        client_token: token.map(str::to_string),
        job,
    });
    if let Some(t) = token {
        state.tokens.insert(
            t.to_string(),
            TokenRecord {
                db_cluster_id: cluster.to_string(),
                backup_id: job_id.clone(),
            },
        );
    }
    Ok(json!({ "BackupJobId": job_id }))
}

/// The status word DescribeBackups shows. In-progress backups are listed as `Running`.
pub fn backup_status(b: &PolardbBackup, now_ms: i64) -> &'static str {
    match b.job.progress(now_ms) {
        Progress::Running(_) => "Running",
        Progress::Success => "Success",
        Progress::Failed => "Failed",
    }
}

fn minute_param(req: &ApiRequest, name: &str) -> Result<i64, ApiFailure> {
    let v = req.required(name)?;
    // The API takes minutes only: `yyyy-MM-ddTHH:mmZ`.
    if v.len() != 17 {
        return Err(ApiFailure::malformed(name));
    }
    timefmt::parse_iso8601(v)
        .map(|s| s * 1000)
        .ok_or_else(|| ApiFailure::malformed(name))
}

/// The page size and number asked for; under `page-cap` the size kept to is at most [`PAGE_CAP`].
fn page_params(req: &ApiRequest, state: &State, sizes: &[u64]) -> Result<(u64, u64), ApiFailure> {
    let size = match req.param("PageSize") {
        None | Some("") => sizes[0],
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| sizes.contains(n))
            .ok_or_else(|| ApiFailure::malformed("PageSize"))?,
    };
    let number = match req.param("PageNumber") {
        None | Some("") => 1,
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= 1 && *n <= i32::MAX as u64)
            .ok_or_else(|| ApiFailure::malformed("PageNumber"))?,
    };
    let size = if state.settings.strict(Strict::PageCap) {
        size.min(PAGE_CAP)
    } else {
        size
    };
    Ok((size, number))
}

fn describe_backups(req: &ApiRequest, state: &State, now_ms: i64) -> Result<Value, ApiFailure> {
    let cluster = req.required("DBClusterId")?;
    let start = minute_param(req, "StartTime")?;
    let end = minute_param(req, "EndTime")?;
    if end <= start {
        return Err(ApiFailure::malformed("EndTime"));
    }
    let (size, number) = page_params(req, state, &[30, 50, 100])?;
    known_cluster(req, state, cluster)?;
    let finished_only = state.settings.strict(Strict::FinishedOnly);
    if let Some(mode) = req.param("BackupMode").filter(|m| !m.is_empty()) {
        if mode != "Manual" && mode != "Automated" {
            return Err(ApiFailure::malformed("BackupMode"));
        }
    }
    let matching: Vec<&PolardbBackup> = state
        .polardb_backups
        .iter()
        .filter(|b| b.db_cluster_id == cluster)
        .filter(|b| !finished_only || backup_status(b, now_ms) != "Running")
        // The end minute is included whole.
        .filter(|b| b.job.started_ms >= start && b.job.started_ms < end + 60_000)
        .filter(|b| {
            req.param("BackupId")
                .is_none_or(|id| id.is_empty() || id == b.backup_id)
        })
        .filter(|b| {
            req.param("BackupStatus")
                .is_none_or(|s| s.is_empty() || s == backup_status(b, now_ms))
        })
        // Every emulated backup is manual, so an `Automated` filter matches none.
        .filter(|_| {
            req.param("BackupMode")
                .is_none_or(|m| m.is_empty() || m == "Manual")
        })
        .collect();
    let skip = usize::try_from(number.saturating_sub(1).saturating_mul(size)).unwrap_or(usize::MAX);
    let page: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(size as usize)
        .map(|b| backup_json(b, now_ms))
        .collect();
    Ok(json!({
        "Items": { "Backup": page },
        "TotalRecordCount": matching.len().to_string(),
        "PageNumber": number.to_string(),
        "PageRecordCount": page.len().to_string(),
    }))
}

/// Seconds-precision time of `ms`, kept within years 1970 to 9999 (a state file may say anything).
fn secs(ms: i64) -> String {
    const YEAR_9999_END_MS: i64 = 253_402_300_799_999;
    let ms = ms.clamp(0, YEAR_9999_END_MS);
    timefmt::iso8601_seconds(timefmt::from_unix_secs(ms.div_euclid(1000)))
}

fn backup_json(b: &PolardbBackup, now_ms: i64) -> Value {
    let status = backup_status(b, now_ms);
    let done = status != "Running";
    json!({
        "BackupId": b.backup_id,
        "DBClusterId": b.db_cluster_id,
        "BackupStatus": status,
        "BackupStartTime": secs(b.job.started_ms),
        "BackupEndTime": if done { secs(b.job.end_ms()) } else { String::new() },
        "BackupType": "FullBackup",
        "BackupMode": "Manual",
        "BackupMethod": "Snapshot",
        "BackupSetSize": if status == "Success" { b.job.size_bytes.to_string() } else { "0".to_string() },
        "ConsistentTime": if status == "Success" { (b.job.end_ms() / 1000).to_string() } else { String::new() },
        "BackupsLevel": "Level-1",
        "ExpectExpireTime": secs(b.job.started_ms.saturating_add(RETENTION_MS)),
        "IsAvail": if status == "Success" { "1" } else { "0" },
    })
}

/// The stage a running task is in, and its percentage.
fn stage(per_mille: u32) -> (&'static str, u32) {
    let name = STAGES
        .iter()
        .rev()
        .find(|(from, _)| per_mille >= *from)
        .map(|(_, n)| *n)
        .unwrap_or("NoStart");
    (name, per_mille / 10)
}

fn describe_backup_tasks(
    req: &ApiRequest,
    state: &State,
    now_ms: i64,
) -> Result<Value, ApiFailure> {
    let cluster = req.required("DBClusterId")?;
    known_cluster(req, state, cluster)?;
    let job_id = req.param("BackupJobId").filter(|s| !s.is_empty());
    let mode_ok = req
        .param("BackupMode")
        .is_none_or(|m| m.is_empty() || m == "Manual");
    // Finished jobs are no longer tasks: the real API stops listing them.
    let jobs: Vec<Value> = state
        .polardb_backups
        .iter()
        .filter(|_| mode_ok)
        .filter(|b| b.db_cluster_id == cluster)
        .filter(|b| job_id.is_none_or(|id| id == b.job_id()))
        .filter_map(|b| match b.job.progress(now_ms) {
            Progress::Running(p) => {
                let (name, pct) = stage(p);
                Some(json!({
                    "BackupJobId": b.job_id(),
                    "BackupProgressStatus": name,
                    "JobMode": "Manual",
                    "Process": pct.to_string(),
                    "StartTime": secs(b.job.started_ms),
                    "TaskAction": "NormalBackupJob",
                }))
            }
            _ => None,
        })
        .collect();
    Ok(json!({ "Items": { "BackupJob": jobs } }))
}

fn delete_backup(req: &ApiRequest, state: &mut State, now_ms: i64) -> Result<Value, ApiFailure> {
    let cluster = req.required("DBClusterId")?;
    let ids_param = req.required("BackupId")?;
    running_cluster(req, state, cluster)?;
    // Several ids may be given, comma-separated; all must be deletable or none is deleted.
    let ids: Vec<&str> = ids_param
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    for id in &ids {
        let b = state
            .polardb_backups
            .iter()
            .find(|b| b.backup_id == *id && b.db_cluster_id == cluster)
            .ok_or_else(ApiFailure::backup_not_found)?;
        if backup_status(b, now_ms) != "Success" {
            return Err(ApiFailure::backup_status());
        }
    }
    state
        .polardb_backups
        .retain(|b| !(b.db_cluster_id == cluster && ids.contains(&b.backup_id.as_str())));
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::actions::answer;
    use crate::emulator::state::Target;

    fn state() -> State {
        let mut s = State::default();
        for (id, status) in [("pc-run", "Running"), ("pc-lock", "Locking")] {
            s.clusters.insert(
                id.into(),
                Target {
                    status: status.into(),
                    region: "cn-hangzhou".into(),
                },
            );
        }
        s
    }

    fn req(pairs: &[(&str, &str)]) -> ApiRequest {
        let q = pairs
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        ApiRequest::new("POST", "/", Some(&q), Vec::new(), Vec::new())
    }

    fn code(r: Result<Value, ApiFailure>) -> String {
        r.err().map(|e| e.code).unwrap_or_default()
    }

    /// Three manual backups are allowed, the fourth hits the quota; deleting one frees a slot.
    #[test]
    fn quota_of_three() {
        let mut s = state();
        let mut ids = Vec::new();
        for _ in 0..3 {
            let v = answer(
                ACTIONS,
                "CreateBackup",
                &req(&[("DBClusterId", "pc-run")]),
                &mut s,
                0,
            );
            ids.push(
                v.ok()
                    .map(|v| v["BackupJobId"].as_str().unwrap_or("").to_string()),
            );
        }
        let fourth = answer(
            ACTIONS,
            "CreateBackup",
            &req(&[("DBClusterId", "pc-run")]),
            &mut s,
            0,
        );
        assert_eq!(code(fourth), "BackupTimesExceeded");
        let id = ids[0].clone().unwrap_or_default();
        let del = req(&[("DBClusterId", "pc-run"), ("BackupId", &id)]);
        assert!(answer(ACTIONS, "DeleteBackup", &del, &mut s, 10_000).is_ok());
        assert!(answer(
            ACTIONS,
            "CreateBackup",
            &req(&[("DBClusterId", "pc-run")]),
            &mut s,
            10_000
        )
        .is_ok());
    }

    /// A repeated token returns the same job; the same token for another cluster is refused.
    #[test]
    fn client_token_idempotency() {
        let mut s = state();
        s.clusters.insert(
            "pc-two".into(),
            Target {
                status: "Running".into(),
                region: "r".into(),
            },
        );
        let r = req(&[("DBClusterId", "pc-run"), ("ClientToken", "tok")]);
        let a = answer(ACTIONS, "CreateBackup", &r, &mut s, 0).ok();
        let b = answer(ACTIONS, "CreateBackup", &r, &mut s, 5).ok();
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_eq!(s.polardb_backups.len(), 1);
        let other = req(&[("DBClusterId", "pc-two"), ("ClientToken", "tok")]);
        assert_eq!(
            code(answer(ACTIONS, "CreateBackup", &other, &mut s, 5)),
            "IdempotentParameterMismatch"
        );
    }

    /// Unknown clusters are not found; clusters that are not Running refuse backups.
    #[test]
    fn cluster_checks() {
        let mut s = state();
        assert_eq!(
            code(answer(
                ACTIONS,
                "CreateBackup",
                &req(&[("DBClusterId", "pc-none")]),
                &mut s,
                0
            )),
            "InvalidDBCluster.NotFound"
        );
        assert_eq!(
            code(answer(
                ACTIONS,
                "CreateBackup",
                &req(&[("DBClusterId", "pc-lock")]),
                &mut s,
                0
            )),
            "OperationDenied.DBClusterStatus"
        );
        assert_eq!(
            code(answer(ACTIONS, "CreateBackup", &req(&[]), &mut s, 0)),
            "MissingDBClusterId"
        );
    }

    /// Tasks walk the stages while the backup runs and vanish when it is done; the backup then
    /// shows Success, and only then may be deleted.
    #[test]
    fn task_progress_and_backup_status() {
        let mut s = state();
        let start = 1_764_000_000_000;
        let created = answer(
            ACTIONS,
            "CreateBackup",
            &req(&[("DBClusterId", "pc-run")]),
            &mut s,
            start,
        );
        let id = created
            .ok()
            .map(|v| v["BackupJobId"].as_str().unwrap_or("").to_string())
            .unwrap_or_default();
        let tasks = |s: &mut State, t: i64| {
            answer(
                ACTIONS,
                "DescribeBackupTasks",
                &req(&[("DBClusterId", "pc-run")]),
                s,
                t,
            )
            .ok()
            .map(|v| v["Items"]["BackupJob"].clone())
            .unwrap_or(Value::Null)
        };
        assert_eq!(tasks(&mut s, start)[0]["BackupProgressStatus"], "NoStart");
        assert_eq!(
            tasks(&mut s, start + 1000)[0]["BackupProgressStatus"],
            "Uploading"
        );
        assert_eq!(
            tasks(&mut s, start + 1900)[0]["BackupProgressStatus"],
            "Checking"
        );
        assert_eq!(tasks(&mut s, start + 2000), json!([]));
        let del = req(&[("DBClusterId", "pc-run"), ("BackupId", &id)]);
        assert_eq!(
            code(answer(ACTIONS, "DeleteBackup", &del, &mut s, start + 100)),
            "OperationDenied.BackupStatus"
        );
        let window = [
            ("DBClusterId", "pc-run"),
            ("StartTime", "2025-11-24T00:00Z"),
            ("EndTime", "2025-11-26T00:00Z"),
        ];
        let listed = answer(
            ACTIONS,
            "DescribeBackups",
            &req(&window),
            &mut s,
            start + 2000,
        )
        .ok()
        .unwrap_or_default();
        assert_eq!(listed["Items"]["Backup"][0]["BackupStatus"], "Success");
        assert_eq!(listed["TotalRecordCount"], "1");
        assert!(answer(ACTIONS, "DeleteBackup", &del, &mut s, start + 2000).is_ok());
        assert_eq!(
            code(answer(ACTIONS, "DeleteBackup", &del, &mut s, start + 2000)),
            "InvalidBackupId.NotFound"
        );
    }

    /// DescribeBackups insists on minute-precision times and the documented page sizes.
    #[test]
    fn describe_backups_validation() {
        let mut s = state();
        let base = [
            ("DBClusterId", "pc-run"),
            ("StartTime", "2025-11-24T00:00Z"),
        ];
        assert_eq!(
            code(answer(ACTIONS, "DescribeBackups", &req(&base), &mut s, 0)),
            "MissingEndTime"
        );
        let mut bad = base.to_vec();
        bad.push(("EndTime", "2025-11-26T00:00:00Z"));
        assert_eq!(
            code(answer(ACTIONS, "DescribeBackups", &req(&bad), &mut s, 0)),
            "InvalidEndTime.Malformed"
        );
        let mut page = base.to_vec();
        page.extend([("EndTime", "2025-11-26T00:00Z"), ("PageSize", "20")]);
        assert_eq!(
            code(answer(ACTIONS, "DescribeBackups", &req(&page), &mut s, 0)),
            "InvalidPageSize.Malformed"
        );
    }
}
