//! Typed PolarDB (2017-08-01) calls: CreateBackup, DescribeBackups, DescribeBackupTasks,
//! DeleteBackup.
//!
//! Parsers are separate pure functions so they can be tested on sample bodies; they accept
//! numbers where strings are documented (and the reverse), as the API has sent both.

use serde_json::Value;

use super::client::{CallOptions, Client};
use super::error::ApiError;
use super::lenient;

/// A backup as DescribeBackups returns it. Strings as the API sends them; absent fields empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backup {
    pub backup_id: String,
    pub db_cluster_id: String,
    /// `Success`, `Failed`, or an in-progress status.
    pub backup_status: String,
    pub backup_method: String,
    pub backup_type: String,
    pub backup_mode: String,
    pub backups_level: String,
    pub backup_start_time: String,
    pub backup_end_time: String,
    pub backup_set_size: Option<i64>,
    pub consistent_time: String,
    pub expect_expire_time: String,
    pub is_avail: String,
    /// The description given to CreateBackup (`Comment`); empty when none or not reported.
    pub comment: String,
}

/// A backup job as DescribeBackupTasks returns it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupTask {
    pub backup_job_id: String,
    /// NoStart, Preparing, Waiting, Uploading, Checking, Finished.
    pub backup_progress_status: String,
    pub job_mode: String,
    pub process: String,
    pub start_time: String,
    pub task_action: String,
}

/// DescribeBackups query. `start_time` / `end_time` are required by the API
/// (`yyyy-MM-ddTHH:mmZ`); page size 30, 50 or 100.
#[derive(Clone, Debug, Default)]
pub struct DescribeBackups {
    pub db_cluster_id: String,
    pub backup_id: Option<String>,
    pub backup_status: Option<String>,
    pub backup_mode: Option<String>,
    pub start_time: String,
    pub end_time: String,
    pub page_number: u32,
    pub page_size: u32,
}

/// One page of DescribeBackups.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupPage {
    pub items: Vec<Backup>,
    pub total_record_count: u64,
    pub page_number: u32,
}

/// CreateBackup without a comment: see [`create_backup_with_comment`].
pub async fn create_backup(
    client: &Client,
    db_cluster_id: &str,
    client_token: &str,
) -> Result<String, ApiError> {
    create_backup_with_comment(client, db_cluster_id, client_token, None).await
}

/// CreateBackup; returns `BackupJobId` (a string or a number on the wire). The same
/// `client_token` must be used for every attempt of one create. A non-empty `comment` is sent
/// as `Comment`, the backup set's description (SDK alibabacloud_polardb20170801 9.2.1).
pub async fn create_backup_with_comment(
    client: &Client,
    db_cluster_id: &str,
    client_token: &str,
    comment: Option<&str>,
) -> Result<String, ApiError> {
    let mut params = vec![
        ("DBClusterId", db_cluster_id.to_string()),
        ("ClientToken", client_token.to_string()),
    ];
    if let Some(c) = comment.filter(|c| !c.is_empty()) {
        params.push(("Comment", c.to_string()));
    }
    // Idempotent thanks to ClientToken: a retry after a lost answer returns the same job.
    let opts = CallOptions {
        idempotent: true,
        finish_in_flight: true,
    };
    client
        .call_for(
            "CreateBackup",
            &params,
            opts,
            "BackupJobId",
            parse_create_backup,
        )
        .await
}

/// `BackupJobId` of a CreateBackup answer, string or number.
pub fn parse_create_backup(body: &Value) -> Option<String> {
    Some(lenient::string(&body["BackupJobId"])).filter(|s| !s.is_empty())
}

impl DescribeBackups {
    /// The query's parameters, as DescribeBackups and DescribeDetachedBackups both take them:
    /// the filters left empty are left out.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let q = self;
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
        params
    }
}

pub async fn describe_backups(
    client: &Client,
    q: &DescribeBackups,
) -> Result<BackupPage, ApiError> {
    let params = q.params();
    let body = client
        .call("DescribeBackups", &params, CallOptions::READ)
        .await?;
    Ok(parse_backup_page(&body))
}

/// A DescribeBackups answer: `Items.Backup[]`, `TotalRecordCount` and `PageNumber` as numbers or
/// strings.
pub fn parse_backup_page(body: &Value) -> BackupPage {
    let items = lenient::list(&body["Items"]["Backup"])
        .into_iter()
        .map(parse_backup)
        .collect();
    BackupPage {
        items,
        total_record_count: lenient::int(&body["TotalRecordCount"])
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0),
        page_number: lenient::int(&body["PageNumber"])
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(1),
    }
}

fn parse_backup(v: &Value) -> Backup {
    let s = |k: &str| lenient::string(&v[k]);
    Backup {
        backup_id: s("BackupId"),
        db_cluster_id: s("DBClusterId"),
        backup_status: s("BackupStatus"),
        backup_method: s("BackupMethod"),
        backup_type: s("BackupType"),
        backup_mode: s("BackupMode"),
        backups_level: s("BackupsLevel"),
        backup_start_time: s("BackupStartTime"),
        backup_end_time: s("BackupEndTime"),
        backup_set_size: lenient::int(&v["BackupSetSize"]),
        consistent_time: s("ConsistentTime"),
        expect_expire_time: s("ExpectExpireTime"),
        is_avail: s("IsAvail"),
        comment: s("Comment"),
    }
}

/// Every backup DescribeBackups lists for `q` (its page number is ignored). Pages until the
/// reported `TotalRecordCount` is reached or a page comes back empty: the service may cap the
/// page size below what was asked, so a short page is not the last.
pub async fn describe_all_backups(
    client: &Client,
    q: &DescribeBackups,
) -> Result<Vec<Backup>, ApiError> {
    const MAX_PAGES: u32 = 200;
    let mut all = Vec::new();
    for page_number in 1..=MAX_PAGES {
        let query = DescribeBackups {
            page_number,
            ..q.clone()
        };
        let page = describe_backups(client, &query).await?;
        let empty = page.items.is_empty();
        all.extend(page.items);
        if empty || all.len() as u64 >= page.total_record_count {
            break;
        }
    }
    Ok(all)
}

pub async fn describe_backup_tasks(
    client: &Client,
    db_cluster_id: &str,
    backup_job_id: Option<&str>,
) -> Result<Vec<BackupTask>, ApiError> {
    let mut params = vec![("DBClusterId", db_cluster_id.to_string())];
    if let Some(id) = backup_job_id.filter(|s| !s.is_empty()) {
        params.push(("BackupJobId", id.to_string()));
    }
    let body = client
        .call("DescribeBackupTasks", &params, CallOptions::READ)
        .await?;
    Ok(parse_backup_tasks(&body))
}

/// A DescribeBackupTasks answer: `Items.BackupJob[]`.
pub fn parse_backup_tasks(body: &Value) -> Vec<BackupTask> {
    lenient::list(&body["Items"]["BackupJob"])
        .into_iter()
        .map(|v| {
            let s = |k: &str| lenient::string(&v[k]);
            BackupTask {
                backup_job_id: s("BackupJobId"),
                backup_progress_status: s("BackupProgressStatus"),
                job_mode: s("JobMode"),
                process: s("Process"),
                start_time: s("StartTime"),
                task_action: s("TaskAction"),
            }
        })
        .collect()
}

/// DeleteBackup. Retrying is harmless: a second delete of the same backup fails as not found,
/// which callers treat as done.
pub async fn delete_backup(
    client: &Client,
    db_cluster_id: &str,
    backup_id: &str,
) -> Result<(), ApiError> {
    let params = [
        ("DBClusterId", db_cluster_id.to_string()),
        ("BackupId", backup_id.to_string()),
    ];
    client
        .call("DeleteBackup", &params, CallOptions::READ)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The seed's documented JSON (number) and the reference's string form both parse.
    #[test]
    fn create_backup_job_id_string_or_number() {
        let seed =
            json!({"RequestId": "F3322AFE-083E-4D77-A074-421301******", "BackupJobId": 11111111});
        assert_eq!(parse_create_backup(&seed).as_deref(), Some("11111111"));
        let string = json!({"RequestId": "R", "BackupJobId": "11111111"});
        assert_eq!(parse_create_backup(&string).as_deref(), Some("11111111"));
        assert_eq!(parse_create_backup(&json!({"RequestId": "R"})), None);
        let e = lenient::missing("CreateBackup", &json!({"RequestId": "R"}), "BackupJobId");
        assert_eq!(e.request_id.as_deref(), Some("R"));
    }

    /// DescribeBackups with string counts and mixed field types.
    #[test]
    fn backup_page() {
        let body = json!({
            "Items": {"Backup": [{
                "BackupId": "11111111", "DBClusterId": "pc-abc", "BackupStatus": "Success",
                "BackupMethod": "Snapshot", "BackupType": "FullBackup", "BackupMode": "Manual",
                "BackupsLevel": "Level-1", "BackupStartTime": "2020-05-12T03:25:55Z",
                "BackupEndTime": "2020-05-12T03:26:10Z", "BackupSetSize": "7251056",
                "ConsistentTime": 1589253970, "ExpectExpireTime": "2020-05-19T03:25:55Z",
                "IsAvail": 1
            }, {"BackupId": "22", "Comment": "nightly"}]},
            "PageRecordCount": "1", "TotalRecordCount": "1", "PageNumber": "1",
            "RequestId": "R"
        });
        let page = parse_backup_page(&body);
        assert_eq!(page.total_record_count, 1);
        assert_eq!(page.items[1].comment, "nightly");
        assert_eq!(page.page_number, 1);
        let b = &page.items[0];
        assert_eq!(b.backup_id, "11111111");
        assert_eq!(b.backup_status, "Success");
        assert_eq!(b.backup_set_size, Some(7_251_056));
        assert_eq!(b.consistent_time, "1589253970");
        assert_eq!(b.is_avail, "1");
        assert_eq!(b.comment, "");
        let empty = parse_backup_page(&json!({"Items": {"Backup": []}, "TotalRecordCount": 0}));
        assert!(empty.items.is_empty());
        assert_eq!(empty.total_record_count, 0);
    }

    /// DescribeBackupTasks reads Items.BackupJob[].
    #[test]
    fn backup_tasks() {
        let body = json!({"Items": {"BackupJob": [{
            "BackupJobId": 32143432, "BackupProgressStatus": "Uploading", "JobMode": "Manual",
            "Process": "50", "StartTime": "2020-08-08T01:00:00Z", "TaskAction": "NormalBackupTask"
        }]}, "RequestId": "R"});
        let tasks = parse_backup_tasks(&body);
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].backup_job_id, "32143432");
        assert_eq!(tasks[0].backup_progress_status, "Uploading");
        assert!(parse_backup_tasks(&json!({"Items": {}})).is_empty());
    }
}
