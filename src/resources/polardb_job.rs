//! Following a PolarDB backup job to the backup it made.
//!
//! CreateBackup answers a `BackupJobId`; DescribeBackups and DeleteBackup take a `BackupId`.
//! Nothing public says the two are equal, and a running backup may be listed only once it has
//! finished (docs/api-notes.md, points 1 and 2). So a job is followed in up to three steps, the
//! cheapest first:
//!
//! 1. DescribeBackups with `BackupId` = the job's ID: listed means the two IDs are equal.
//! 2. DescribeBackupTasks with the job's ID: a job still listed and not `Finished` is running.
//! 3. Once the job has finished (or left the task list), the manual backups of the cluster around
//!    the job's start time: the one with the same `Comment` (or none reported) that started
//!    nearest the job, among those no other resource of this provider process has claimed.
//!
//! Where the IDs are equal and running backups are listed, a poll is step 1 alone: one call.

use std::time::{Duration, SystemTime};

use crate::alicloud::polardb::{self, Backup, DescribeBackups};
use crate::alicloud::{ApiError, Client};
use crate::provider::ProviderData;
use crate::timefmt;

/// How far before the job's start a backup may have begun and still be its own (clocks of
/// this machine and of the service differ; the job's start may be our own request time).
const START_SLACK: i64 = 300;

/// How far after the job's start the backup may begin (a job can wait in a queue).
const START_LATEST: i64 = 86_400;

/// The status a running backup gets while DescribeBackups does not list it yet.
pub(super) const RUNNING: &str = "Running";

/// A backup job to follow.
#[derive(Clone, Debug)]
pub(super) struct Job {
    pub cluster: String,
    pub job_id: String,
    /// The backup's ID once known.
    pub backup_id: Option<String>,
    /// When the job started (its `StartTime`, else when CreateBackup was sent), Unix seconds.
    pub anchor: i64,
    /// The `comment` the backup was created with ("" for none).
    pub comment: String,
    /// Set once DescribeBackups did not list the job's ID while the job ran: from then on a
    /// look asks DescribeBackupTasks first, saving a call per poll while the job runs.
    pub tasks_first: bool,
}

/// What one look at a job found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Lookup {
    /// DescribeBackups lists the backup (finished or not): its `backup_id` is the one to keep.
    Listed(Box<Backup>),
    /// The job has not made a listed backup yet: its progress, and its start time if listed.
    Running {
        progress: String,
        job_start: Option<String>,
    },
    /// Neither the job nor a backup it made is listed.
    Gone,
}

/// The claim key of a PolarDB backup in the provider's process-wide claim set.
fn claim_key(cluster: &str, backup_id: &str) -> String {
    format!("{cluster}:{backup_id}")
}

/// Records that a resource of this process holds `backup_id` (so no other identifies it).
pub(super) fn claim(provider: &ProviderData, cluster: &str, backup_id: &str) {
    super::adoption::claim(provider, &claim_key(cluster, backup_id));
}

/// One look at `job` (see the module docs for the steps).
pub(super) async fn look(
    provider: &ProviderData,
    client: &Client,
    job: &Job,
    since: SystemTime,
) -> Result<Lookup, ApiError> {
    if let Some(id) = job.backup_id.as_deref() {
        return Ok(match find_backup(client, &job.cluster, id, since).await? {
            Some(b) => {
                claim(provider, &job.cluster, &b.backup_id);
                Lookup::Listed(Box::new(b))
            }
            None => Lookup::Gone,
        });
    }
    if let Some(b) = find_backup(client, &job.cluster, &job.job_id, since).await? {
        claim(provider, &job.cluster, &b.backup_id);
        return Ok(Lookup::Listed(Box::new(b)));
    }
    let tasks = polardb::describe_backup_tasks(client, &job.cluster, Some(&job.job_id)).await?;
    let task = tasks.into_iter().find(|t| t.backup_job_id == job.job_id);
    if let Some(t) = task
        .as_ref()
        .filter(|t| t.backup_progress_status != "Finished")
    {
        return Ok(Lookup::Running {
            progress: t.backup_progress_status.clone(),
            job_start: Some(t.start_time.clone()).filter(|s| !s.is_empty()),
        });
    }
    let anchor = task
        .as_ref()
        .and_then(|t| timefmt::parse_iso8601(&t.start_time))
        .unwrap_or(job.anchor);
    let query = DescribeBackups {
        db_cluster_id: job.cluster.clone(),
        backup_mode: Some("Manual".into()),
        start_time: timefmt::iso8601_minutes(timefmt::from_unix_secs(anchor - 86_400)),
        end_time: timefmt::iso8601_minutes(SystemTime::now() + Duration::from_secs(86_400)),
        page_size: 100,
        ..DescribeBackups::default()
    };
    let listed = polardb::describe_all_backups(client, &query).await?;
    let picked = candidates(listed, anchor, &job.comment)
        .into_iter()
        .find(|b| super::adoption::claim(provider, &claim_key(&job.cluster, &b.backup_id)));
    Ok(match (picked, task) {
        (Some(b), _) => Lookup::Listed(Box::new(b)),
        // Finished but its backup not listed yet: the listing lags the job.
        (None, Some(t)) => Lookup::Running {
            progress: t.backup_progress_status,
            job_start: Some(t.start_time).filter(|s| !s.is_empty()),
        },
        (None, None) => Lookup::Gone,
    })
}

/// The backups that may be the one a job started at `anchor` with `comment` made, best first:
/// manual (or mode not reported), begun from [`START_SLACK`] before the job to
/// [`START_LATEST`] after it, with the same comment or none reported; an exact comment first,
/// then the nearest start.
pub(super) fn candidates(listed: Vec<Backup>, anchor: i64, comment: &str) -> Vec<Backup> {
    let mut found: Vec<(bool, i64, Backup)> = listed
        .into_iter()
        .filter(|b| b.backup_mode.is_empty() || b.backup_mode == "Manual")
        .filter(|b| b.comment.is_empty() || b.comment == comment)
        .filter_map(|b| {
            let start = timefmt::parse_iso8601(&b.backup_start_time)?;
            let offset = start - anchor;
            (-START_SLACK..=START_LATEST)
                .contains(&offset)
                .then(|| (b.comment != comment, offset.abs(), b))
        })
        .collect();
    found.sort_by_key(|(other_comment, distance, _)| (*other_comment, *distance));
    found.into_iter().map(|(_, _, b)| b).collect()
}

/// One DescribeBackups call for exactly this backup; `None` when it is not listed.
pub(super) async fn find_backup(
    client: &Client,
    cluster: &str,
    backup_id: &str,
    since: SystemTime,
) -> Result<Option<Backup>, ApiError> {
    let query = DescribeBackups {
        db_cluster_id: cluster.to_string(),
        backup_id: Some(backup_id.to_string()),
        start_time: timefmt::iso8601_minutes(since),
        end_time: timefmt::iso8601_minutes(SystemTime::now() + Duration::from_secs(86_400)),
        page_number: 1,
        page_size: 30,
        ..DescribeBackups::default()
    };
    let page = polardb::describe_backups(client, &query).await?;
    Ok(page.items.into_iter().find(|b| b.backup_id == backup_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backup(id: &str, mode: &str, start: &str, comment: &str) -> Backup {
        Backup {
            backup_id: id.into(),
            backup_mode: mode.into(),
            backup_start_time: start.into(),
            comment: comment.into(),
            ..Backup::default()
        }
    }

    fn ids(found: &[Backup]) -> Vec<&str> {
        found.iter().map(|b| b.backup_id.as_str()).collect()
    }

    /// Automated backups, other comments, and backups begun long before the job are never
    /// candidates; the exact comment comes first, then the nearest start. Without a comment,
    /// only backups without a reported comment are candidates.
    #[test]
    fn candidates_by_mode_comment_and_start() {
        let anchor = timefmt::parse_iso8601("2025-03-01T10:00:00Z").unwrap();
        let cases = [
            (
                vec![
                    backup("auto", "Automated", "2025-03-01T10:00:05Z", "nightly"),
                    backup("other", "Manual", "2025-03-01T10:00:05Z", "weekly"),
                    backup("old", "Manual", "2025-03-01T09:00:00Z", "nightly"),
                    backup("far", "Manual", "2025-03-01T10:30:00Z", "nightly"),
                    backup("near", "Manual", "2025-03-01T10:00:02Z", "nightly"),
                    backup("silent", "Manual", "2025-03-01T10:00:01Z", ""),
                    backup("skewed", "", "2025-03-01T09:58:00Z", "nightly"),
                    backup("untimed", "Manual", "", "nightly"),
                ],
                "nightly",
                vec!["near", "skewed", "far", "silent"],
            ),
            (
                vec![
                    backup("named", "Manual", "2025-03-01T10:00:01Z", "x"),
                    backup("plain", "Manual", "2025-03-01T10:00:09Z", ""),
                ],
                "",
                vec!["plain"],
            ),
        ];
        for (listed, comment, expected) in cases {
            let found = candidates(listed, anchor, comment);
            assert_eq!(ids(&found), expected, "comment {comment:?}");
        }
    }
}
