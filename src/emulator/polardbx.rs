//! PolarDB-X 2020-02-02 backup actions: CreateBackup, DescribeBackupSetList and
//! DescribeBackupSet. The API has no way to delete a backup set, and neither has the emulator.

use serde_json::{json, Value};

use super::actions::Action;
use super::dialect::{Strict, PAGE_CAP};
use super::error::ApiFailure;
use super::request::ApiRequest;
use super::state::{PolardbxBackup, Progress, State};

pub const VERSION: &str = "2020-02-02";
pub const ACTIONS: &[Action] = &[
    Action::Write("CreateBackup", create_backup),
    Action::Read("DescribeBackupSetList", describe_backup_set_list),
    Action::Read("DescribeBackupSet", describe_backup_set),
];

/// Actions the API metadata and the official SDK (alibabacloud_polardbx20200202 3.13.0) send with
/// GET only; under `get-only` they refuse any other method.
pub const GET_ONLY: &[&str] = &["DescribeBackupSetList"];

/// `BackupModel` of a backup taken on request (as opposed to by the backup policy).
const MANUAL_MODEL: i64 = 1;

/// The instance named by the request. Under `region-check` it must also be in the request's
/// `RegionId`, or it is not found there; `RegionId` is then required where the SDK model says
/// so (CreateBackup, DescribeBackupSetList) and checked where given (DescribeBackupSet).
fn instance<'a>(
    req: &'a ApiRequest,
    state: &State,
    region_required: bool,
) -> Result<&'a str, ApiFailure> {
    let name = req.required("DBInstanceName")?;
    let target = state.instance(name)?;
    if state.settings.strict(Strict::RegionCheck) {
        let region = if region_required {
            Some(req.required("RegionId")?)
        } else {
            req.param("RegionId").filter(|r| !r.is_empty())
        };
        if region.is_some_and(|r| r != target.region) {
            return Err(ApiFailure::instance_not_found());
        }
    }
    Ok(name)
}

/// 0 running, 1 success, 2 failed.
pub fn status_code(b: &PolardbxBackup, now_ms: i64) -> i64 {
    match b.job.progress(now_ms) {
        Progress::Running(_) => 0,
        Progress::Success => 1,
        Progress::Failed => 2,
    }
}

fn create_backup(req: &ApiRequest, state: &mut State, now_ms: i64) -> Result<Value, ApiFailure> {
    let region = req.required("RegionId")?;
    let name = instance(req, state, true)?;
    let backup_type = req
        .param("BackupType")
        .filter(|t| !t.is_empty())
        .unwrap_or("0");
    if backup_type != "0" {
        return Err(ApiFailure::malformed("BackupType"));
    }
    if state
        .instances
        .get(name)
        .is_some_and(|i| i.status != "Running")
    {
        return Err(ApiFailure::instance_status());
    }
    let id = state.take_id();
    let job = state.new_job(now_ms);
    state.polardbx_backups.push(PolardbxBackup {
        backup_set_id: id,
        db_instance_name: name.to_string(),
        region_id: region.to_string(),
        backup_type: backup_type.to_string(),
        job,
    });
    // Current API versions answer an object with a string id; older ones an array with a number.
    let data = if state.settings.polardbx_data_as_object {
        json!({ "BackupSetId": id.to_string() })
    } else {
        json!([{ "BackupSetId": id }])
    };
    Ok(json!({ "Success": true, "Message": "success", "Data": data }))
}

fn backup_json(b: &PolardbxBackup, now_ms: i64, id_as_string: bool) -> Value {
    let status = status_code(b, now_ms);
    let id = if id_as_string {
        json!(b.backup_set_id.to_string())
    } else {
        json!(b.backup_set_id)
    };
    json!({
        "BackupSetId": id,
        "Status": status,
        "BackupModel": MANUAL_MODEL,
        "BackupType": b.backup_type.parse::<i64>().unwrap_or(0),
        "BeginTime": b.job.started_ms,
        "EndTime": if status == 0 { 0 } else { b.job.end_ms() },
        "BackupSetSize": if status == 1 { b.job.size_bytes } else { 0 },
    })
}

fn millis(req: &ApiRequest, name: &str) -> Result<Option<i64>, ApiFailure> {
    match req.param(name) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiFailure::malformed(name)),
    }
}

fn positive(req: &ApiRequest, name: &str, default: u64, max: u64) -> Result<u64, ApiFailure> {
    match req.param(name) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= 1 && *n <= max)
            .ok_or_else(|| ApiFailure::malformed(name)),
    }
}

fn describe_backup_set_list(
    req: &ApiRequest,
    state: &State,
    now_ms: i64,
) -> Result<Value, ApiFailure> {
    let name = instance(req, state, true)?;
    let start = millis(req, "StartTime")?.unwrap_or(i64::MIN);
    let end = millis(req, "EndTime")?.unwrap_or(i64::MAX);
    let number = positive(req, "PageNumber", 1, i32::MAX as u64)?;
    let mut size = positive(req, "PageSize", 10, 1000)?;
    if state.settings.strict(Strict::PageCap) {
        size = size.min(PAGE_CAP);
    }
    let skip = usize::try_from(number.saturating_sub(1).saturating_mul(size)).unwrap_or(usize::MAX);
    let data: Vec<Value> = state
        .polardbx_backups
        .iter()
        .filter(|b| b.db_instance_name == name)
        .filter(|b| b.job.started_ms >= start && b.job.started_ms <= end)
        .skip(skip)
        .take(size as usize)
        .map(|b| backup_json(b, now_ms, true))
        .collect();
    Ok(json!({ "Success": true, "Message": "", "Data": data }))
}

/// An unknown id answers an empty `Data`, which callers read as "gone".
fn describe_backup_set(req: &ApiRequest, state: &State, now_ms: i64) -> Result<Value, ApiFailure> {
    let name = instance(req, state, false)?;
    let id = req.required("BackupSetId")?;
    let data: Vec<Value> = state
        .polardbx_backups
        .iter()
        .filter(|b| b.db_instance_name == name && b.backup_set_id.to_string() == id)
        .map(|b| {
            let mut v = backup_json(b, now_ms, false);
            v["OSSList"] = json!([]);
            v
        })
        .collect();
    Ok(json!({ "Success": true, "Message": "", "Data": data }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::actions::answer;
    use crate::emulator::state::Target;

    fn setup() -> State {
        let mut s = State::default();
        s.instances.insert(
            "pxc-1".into(),
            Target {
                status: "Running".into(),
                region: "cn-hangzhou".into(),
            },
        );
        s
    }

    fn req(q: &str) -> ApiRequest {
        ApiRequest::new("POST", "/", Some(q), Vec::new(), Vec::new())
    }

    /// A backup set is running (0) until its time is up, then succeeded (1), or failed (2) when
    /// a failure was queued.
    #[test]
    fn status_moves_from_running_to_done() {
        let mut s = setup();
        s.settings.polardbx_data_as_object = false;
        let create = req("RegionId=cn-hangzhou&DBInstanceName=pxc-1&BackupType=0");
        let made = answer(ACTIONS, "CreateBackup", &create, &mut s, 1000)
            .ok()
            .unwrap_or_default();
        assert_eq!(made["Success"], true);
        assert!(
            made["Data"][0]["BackupSetId"].is_u64(),
            "array shape when asked: {made}"
        );
        let list = req("RegionId=cn-hangzhou&DBInstanceName=pxc-1&StartTime=0&EndTime=99999");
        let at = |s: &mut State, t| {
            answer(ACTIONS, "DescribeBackupSetList", &list, s, t)
                .ok()
                .unwrap_or_default()["Data"][0]["Status"]
                .clone()
        };
        assert_eq!(at(&mut s, 1500), 0);
        assert_eq!(at(&mut s, 3000), 1);
        s.settings.fail_next_backups = 1;
        s.settings.polardbx_data_as_object = true;
        let made = answer(ACTIONS, "CreateBackup", &create, &mut s, 4000)
            .ok()
            .unwrap_or_default();
        let id = made["Data"]["BackupSetId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(!id.is_empty(), "object shape with a string id: {made}");
        let one = req(&format!(
            "RegionId=cn-hangzhou&DBInstanceName=pxc-1&BackupSetId={id}"
        ));
        let got = answer(ACTIONS, "DescribeBackupSet", &one, &mut s, 9000)
            .ok()
            .unwrap_or_default();
        assert_eq!(got["Data"][0]["Status"], 2);
    }

    /// Unknown instances and the missing delete action are refused with the cloud's codes.
    #[test]
    fn refusals() {
        let mut s = setup();
        let r = answer(
            ACTIONS,
            "CreateBackup",
            &req("RegionId=cn-hangzhou&DBInstanceName=pxc-x"),
            &mut s,
            0,
        );
        assert_eq!(r.err().map(|e| e.status), Some(404));
        let r = answer(ACTIONS, "DeleteBackup", &req(""), &mut s, 0);
        assert_eq!(
            r.err().map(|e| e.code),
            Some("InvalidAction.NotFound".into())
        );
    }
}
