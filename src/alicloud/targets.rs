//! The state of what a backup is taken of: PolarDB DescribeDBClusterAttribute
//! (`DBClusterStatus`) and PolarDB-X DescribeDBInstanceAttribute (`DBInstance.Status`). Used at
//! plan time to refuse a create on a cluster or instance that is gone or not running.

use serde_json::Value;

use super::client::{CallOptions, Client};
use super::error::ApiError;
use super::{lenient, polardbx};

/// The status of PolarDB cluster `db_cluster_id` (e.g. `Running`), or a not-found error.
pub async fn polardb_cluster_status(
    client: &Client,
    db_cluster_id: &str,
) -> Result<String, ApiError> {
    let params = [("DBClusterId", db_cluster_id.to_string())];
    client
        .call_for(
            "DescribeDBClusterAttribute",
            &params,
            CallOptions::READ,
            "DBClusterStatus",
            parse_cluster_status,
        )
        .await
}

/// `DBClusterStatus` of a DescribeDBClusterAttribute answer.
pub fn parse_cluster_status(body: &Value) -> Option<String> {
    Some(lenient::string(&body["DBClusterStatus"])).filter(|s| !s.is_empty())
}

/// The status of PolarDB-X instance `db_instance_name` (e.g. `Running`), or a not-found error.
pub async fn polardbx_instance_status(
    client: &Client,
    region_id: &str,
    db_instance_name: &str,
) -> Result<String, ApiError> {
    let params = polardbx::instance_params(region_id, db_instance_name, []);
    client
        .call_for(
            "DescribeDBInstanceAttribute",
            &params,
            CallOptions::READ,
            "DBInstance.Status",
            parse_instance_status,
        )
        .await
}

/// `DBInstance.Status` of a DescribeDBInstanceAttribute answer (`DBInstance` an object, or a
/// one-item array as some list-shaped answers are).
pub fn parse_instance_status(body: &Value) -> Option<String> {
    lenient::first_string(&body["DBInstance"], "Status")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The documented answer shapes give the status; a missing field gives none.
    #[test]
    fn statuses() {
        let c = json!({"RequestId": "R", "DBClusterId": "pc-a", "DBClusterStatus": "Running"});
        assert_eq!(parse_cluster_status(&c).as_deref(), Some("Running"));
        assert_eq!(parse_cluster_status(&json!({"RequestId": "R"})), None);
        let i = json!({"RequestId": "R", "DBInstance": {"Id": "pxc-a", "Status": "Creating"}});
        assert_eq!(parse_instance_status(&i).as_deref(), Some("Creating"));
        let arr = json!({"DBInstance": [{"Status": "Running"}]});
        assert_eq!(parse_instance_status(&arr).as_deref(), Some("Running"));
        assert_eq!(parse_instance_status(&json!({"DBInstance": {}})), None);
    }
}
