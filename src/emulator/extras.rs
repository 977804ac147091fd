//! Actions the provider's plan-time checks, singular data sources and download links need,
//! kept apart from the backup actions: PolarDB DescribeDBClusterAttribute and
//! DescribeDetachedBackups, PolarDB-X DescribeDBInstanceAttribute, and the `OSSList` download
//! links of PolarDB-X DescribeBackupSet.
//!
//! A cluster with status `Released` stands for one released with its backups kept: its backups
//! are what DescribeDetachedBackups lists.

use serde_json::{json, Value};

use super::error::ApiFailure;
use super::request::ApiRequest;
use super::state::State;
use super::{actions, polardb, polardbx};

/// The status a released cluster is given (admin `POST /_emulator/clusters`).
pub const RELEASED: &str = "Released";

/// How long a download link lasts.
const LINK_LIFETIME_MS: i64 = 2 * 3600 * 1000;

/// Whether `action` of `product` is one of these.
pub fn knows(product: &str, action: &str) -> bool {
    matches!(
        (product, action),
        ("polardb", "DescribeDBClusterAttribute")
            | ("polardb", "DescribeDetachedBackups")
            | ("polardbx", "DescribeDBInstanceAttribute")
    )
}

/// Answers the actions above, and DescribeBackupSet with download links; `None` for the rest.
pub fn handle(
    product: &str,
    action: &str,
    req: &ApiRequest,
    state: &mut State,
    now_ms: i64,
) -> Option<Result<Value, ApiFailure>> {
    Some(match (product, action) {
        // A released cluster is gone for every other PolarDB action.
        (
            "polardb",
            "DescribeBackups" | "DescribeBackupTasks" | "CreateBackup" | "DeleteBackup",
        ) if released(req, state) => Err(ApiFailure::cluster_not_found()),
        ("polardb", "DescribeDBClusterAttribute") => cluster_attribute(req, state),
        ("polardb", "DescribeDetachedBackups") => detached_backups(req, state, now_ms),
        ("polardbx", "DescribeDBInstanceAttribute") => instance_attribute(req, state),
        ("polardbx", "DescribeBackupSet") => {
            actions::answer(polardbx::ACTIONS, action, req, state, now_ms)
                .map(|body| with_links(body, req, now_ms))
        }
        _ => return None,
    })
}

fn released(req: &ApiRequest, state: &State) -> bool {
    req.param("DBClusterId")
        .and_then(|id| state.clusters.get(id))
        .is_some_and(|c| c.status == RELEASED)
}

fn cluster_attribute(req: &ApiRequest, state: &State) -> Result<Value, ApiFailure> {
    let id = req.required("DBClusterId")?;
    let cluster = state.cluster(id)?;
    Ok(json!({
        "DBClusterId": id,
        "DBClusterStatus": cluster.status,
        "RegionId": cluster.region,
        "DBType": "MySQL",
    }))
}

fn instance_attribute(req: &ApiRequest, state: &State) -> Result<Value, ApiFailure> {
    let name = req.required("DBInstanceName")?;
    let instance = state.instance(name)?;
    Ok(json!({
        "DBInstance": {
            "Id": name,
            "Status": instance.status,
            "RegionId": instance.region,
            "Engine": "polarx",
        }
    }))
}

/// A released cluster's backups, with DescribeBackups' query and answer; none otherwise.
fn detached_backups(req: &ApiRequest, state: &mut State, now_ms: i64) -> Result<Value, ApiFailure> {
    let id = req.required("DBClusterId")?;
    if state.clusters.get(id).is_some_and(|c| c.status == RELEASED) {
        return actions::answer(polardb::ACTIONS, "DescribeBackups", req, state, now_ms);
    }
    Ok(json!({
        "Items": { "Backup": [] },
        "TotalRecordCount": "0",
        "PageNumber": req.param("PageNumber").unwrap_or("1"),
        "PageRecordCount": "0",
    }))
}

/// Adds an `OSSList` to every finished backup set of a DescribeBackupSet answer: one file with
/// a fresh signed-looking link that expires in [`LINK_LIFETIME_MS`].
fn with_links(mut body: Value, req: &ApiRequest, now_ms: i64) -> Value {
    let instance = req.param("DBInstanceName").unwrap_or_default().to_string();
    let expires = now_ms + LINK_LIFETIME_MS;
    let expires_at =
        crate::timefmt::iso8601_seconds(crate::timefmt::from_unix_secs(expires / 1000));
    if let Some(sets) = body.get_mut("Data").and_then(Value::as_array_mut) {
        for set in sets {
            if set["Status"] != json!(1) {
                continue;
            }
            let id = crate::alicloud::lenient::string(&set["BackupSetId"]);
            let file = format!("{instance}_data_{id}_qp.xb");
            let signature = signature();
            set["OSSList"] = json!([{
                "BackupSetFile": file,
                "DownloadLink": format!(
                    "https://emulator-rdsbak.oss.invalid/{instance}/{file}?Expires={}&Signature={signature}",
                    expires / 1000
                ),
                "IntranetDownloadLink": format!(
                    "http://emulator-rdsbak-internal.oss.invalid/{instance}/{file}?Expires={}&Signature={signature}",
                    expires / 1000
                ),
                "LinkExpiredTime": expires_at,
            }]);
        }
    }
    body
}

/// 32 random hex characters, so that every answer's links differ.
fn signature() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::fill(&mut b);
    crate::alicloud::sign::hex_lower(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::state::Target;

    fn state() -> State {
        let mut s = State::default();
        let t = |status: &str| Target {
            status: status.into(),
            region: "cn-hangzhou".into(),
        };
        s.clusters.insert("pc-run".into(), t("Running"));
        s.clusters.insert("pc-gone".into(), t(RELEASED));
        s.instances.insert("pxc-a".into(), t("Running"));
        s
    }

    fn req(q: &str) -> ApiRequest {
        ApiRequest::new("GET", "/", Some(q), Vec::new(), Vec::new())
    }

    /// Statuses are answered in the SDK's shapes; unknown targets are not found.
    #[test]
    fn attributes() {
        let mut s = state();
        let r = handle(
            "polardb",
            "DescribeDBClusterAttribute",
            &req("DBClusterId=pc-run"),
            &mut s,
            0,
        );
        assert_eq!(r.unwrap().unwrap()["DBClusterStatus"], "Running");
        let r = handle(
            "polardb",
            "DescribeDBClusterAttribute",
            &req("DBClusterId=pc-x"),
            &mut s,
            0,
        );
        assert_eq!(r.unwrap().unwrap_err().code, "InvalidDBCluster.NotFound");
        let r = handle(
            "polardbx",
            "DescribeDBInstanceAttribute",
            &req("DBInstanceName=pxc-a"),
            &mut s,
            0,
        );
        assert_eq!(r.unwrap().unwrap()["DBInstance"]["Status"], "Running");
        assert!(handle("polardb", "CreateBackup", &req(""), &mut s, 0).is_none());
    }

    /// A running cluster has no detached backups; a released one is not found by DescribeBackups.
    #[test]
    fn detached_only_when_released() {
        let mut s = state();
        let q = "DBClusterId=pc-run&StartTime=2020-01-01T00:00Z&EndTime=2030-01-01T00:00Z";
        let r = handle("polardb", "DescribeDetachedBackups", &req(q), &mut s, 0);
        assert_eq!(r.unwrap().unwrap()["Items"]["Backup"], json!([]));
        let q = "DBClusterId=pc-gone&StartTime=2020-01-01T00:00Z&EndTime=2030-01-01T00:00Z";
        let r = handle("polardb", "DescribeBackups", &req(q), &mut s, 0);
        assert_eq!(r.unwrap().unwrap_err().code, "InvalidDBCluster.NotFound");
        let r = handle("polardb", "DescribeDetachedBackups", &req(q), &mut s, 0);
        assert!(r.unwrap().is_ok());
    }
}
