//! PolarDB DescribeDetachedBackups: the backups a released cluster left behind (its backup
//! retention policy on release kept them). Same query and answer shape as DescribeBackups.

use super::client::{CallOptions, Client};
use super::error::ApiError;
use super::polardb::{parse_backup_page, BackupPage, DescribeBackups};

/// One page of a released cluster's retained backups. Only a released cluster has any.
pub async fn describe_detached_backups(
    client: &Client,
    q: &DescribeBackups,
) -> Result<BackupPage, ApiError> {
    let mut params = vec![
        ("DBClusterId", q.db_cluster_id.clone()),
        ("StartTime", q.start_time.clone()),
        ("EndTime", q.end_time.clone()),
        ("PageNumber", q.page_number.max(1).to_string()),
        ("PageSize", q.page_size.max(30).to_string()),
    ];
    for (name, value) in [
        ("BackupId", &q.backup_id),
        ("BackupStatus", &q.backup_status),
        ("BackupMode", &q.backup_mode),
    ] {
        if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
            params.push((name, v.clone()));
        }
    }
    let body = client
        .call(
            "DescribeDetachedBackups",
            &params,
            CallOptions { idempotent: true },
        )
        .await?;
    Ok(parse_backup_page(&body))
}
