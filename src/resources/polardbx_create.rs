//! Creating a PolarDB-X backup set exactly once, although CreateBackup has no idempotency token.
//!
//! When an attempt's answer is lost ([`ErrorKind::Ambiguous`]: sent, then a timeout, a dropped
//! connection or a gateway's 502/504 without an API error body), the backup set may exist.
//! Before trying again, list the instance's backup sets begun since the first attempt and adopt
//! a manual one that no other resource of this provider process has claimed.
//!
//! Creates of one instance run concurrently: each CreateBackup call holds the instance's gate
//! shared, and claims the set it was answered with before letting go. Only adoption holds the
//! gate alone, so it starts once every other call in flight has its answer (and has claimed its
//! set) or has lost it too, and no new call starts while it looks. Every unclaimed set begun
//! since is then some lost attempt's own: each lost attempt made at most one, and each adopts
//! at most one, so the sets and the resources match one to one.

use std::time::{Duration, Instant, SystemTime};

use tokio::sync::RwLock;

use super::polardbx_backups::list_sets;
use crate::alicloud::polardbx;
use crate::alicloud::{ApiError, Client, ErrorKind};
use crate::diagnostics::{self as diag, Diagnostic};
use crate::provider::ProviderData;
use crate::timefmt;

/// How many CreateBackup attempts whose answers were lost are tried (each after looking for
/// the backup set it may have made).
const MAX_AMBIGUOUS_ATTEMPTS: u32 = 5;

/// Backup sets begun this long before the first attempt still count as its own: allows for
/// clock skew between this machine and the service.
const ADOPTION_SLACK: Duration = Duration::from_secs(10);

/// The pauses before each look for the set of a lost answer: a new set may take a moment to be
/// listed, and trying again too soon could leave a second set that can never be deleted.
const LOOK_PAUSES: [Duration; 4] = [
    Duration::ZERO,
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];

/// Calls CreateBackup until it answers. When an answer is lost, a backup set may exist: adopt
/// a manual one begun since the first attempt that no other resource has claimed, else try
/// again (up to [`MAX_AMBIGUOUS_ATTEMPTS`], within `deadline`).
pub(super) async fn create_exactly_once(
    provider: &ProviderData,
    client: &Client,
    region: &str,
    instance: &str,
    backup_type: &str,
    deadline: Instant,
) -> Result<String, Diagnostic> {
    let gate = provider.polardbx_create_gate(&format!("{region}:{instance}"));
    let first_attempt = SystemTime::now();
    let since_ms = timefmt::unix_millis(first_attempt) - ADOPTION_SLACK.as_millis() as i64;
    let doing = format!("create a backup of {instance}");
    for attempt in 1..=MAX_AMBIGUOUS_ATTEMPTS {
        let answer = {
            let _in_flight = client
                .until_stopped("CreateBackup", gate.read())
                .await
                .map_err(|e| diag::api_error(&doing, &e))?;
            let answer = polardbx::create_backup(client, region, instance, backup_type).await;
            if let Some(id) = answer.as_ref().ok().filter(|id| !id.is_empty()) {
                provider.claim_backup_set(&claim_key(instance, id));
            }
            answer
        };
        let lost = match answer {
            Ok(id) if !id.is_empty() => return Ok(id),
            Ok(_) => return Err(no_backup_set_id(region, instance)),
            Err(e) if answer_may_be_lost(&e) => e,
            Err(e) => return Err(diag::api_error(&doing, &e)),
        };
        tracing::warn!(
            instance,
            attempt,
            request_id = lost.request_id.as_deref().unwrap_or(""),
            "CreateBackup answer lost; looking for the backup set it may have made"
        );
        match adopt_alone(
            provider, &gate, client, region, instance, since_ms, deadline,
        )
        .await
        {
            Ok(Some(id)) => {
                tracing::info!(
                    instance,
                    set_id = id.as_str(),
                    "adopted the backup set of a lost CreateBackup answer"
                );
                return Ok(id);
            }
            Ok(None) => {}
            Err(list_err) => {
                let mut d = diag::api_error(&doing, &lost);
                d.detail.push_str(&format!(
                    "\n\nThe provider could not list the instance's backup sets to check whether \
                     the lost request made one ({list_err}). If a new backup set appears, import \
                     it instead of applying again."
                ));
                return Err(d);
            }
        }
        // Only a lost answer is tried again: a server error the client already retried is final.
        if lost.kind != ErrorKind::Ambiguous
            || attempt == MAX_AMBIGUOUS_ATTEMPTS
            || Instant::now() >= deadline
        {
            return Err(diag::api_error(&doing, &lost));
        }
    }
    Err(Diagnostic::error(
        "CreateBackup kept losing its answers",
        format!(
            "No CreateBackup attempt for {instance} got an answer, and no backup set was found. \
             Check the instance's backup sets before applying again."
        ),
    ))
}

/// Whether a failed CreateBackup may have made a backup set: a lost answer, or a gateway's
/// 502/504 (the transport reports those without an API error body as lost; any that reach here
/// otherwise are looked for too, since looking costs one list call and a duplicate set cannot
/// be deleted).
fn answer_may_be_lost(e: &ApiError) -> bool {
    e.kind == ErrorKind::Ambiguous
        || (e.kind == ErrorKind::ServerError && matches!(e.http_status, Some(502 | 504)))
}

fn no_backup_set_id(region: &str, instance: &str) -> Diagnostic {
    Diagnostic::error(
        "CreateBackup returned no backup set ID",
        format!(
            "PolarDB-X accepted the backup request for {instance} but returned no BackupSetId. \
             Check the instance's backup sets and import the new one with `terraform import \
             <address> {region}:{instance}:<backup_set_id>`."
        ),
    )
}

/// Holding the instance's gate alone, looks for the set of a lost answer a few times, a moment
/// apart (never past `deadline`), and adopts it.
async fn adopt_alone(
    provider: &ProviderData,
    gate: &RwLock<()>,
    client: &Client,
    region: &str,
    instance: &str,
    since_ms: i64,
    deadline: Instant,
) -> Result<Option<String>, ApiError> {
    let _alone = client
        .until_stopped("DescribeBackupSetList", gate.write())
        .await?;
    for pause in LOOK_PAUSES {
        if !pause.is_zero() {
            if Instant::now() + pause > deadline {
                break;
            }
            client
                .until_stopped("DescribeBackupSetList", tokio::time::sleep(pause))
                .await?;
        }
        if let Some(id) = adopt(provider, client, region, instance, since_ms).await? {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Finds a manual backup set of `instance` begun at or after `since_ms` that no resource has
/// claimed, and claims it (the earliest, if several).
async fn adopt(
    provider: &ProviderData,
    client: &Client,
    region: &str,
    instance: &str,
    since_ms: i64,
) -> Result<Option<String>, ApiError> {
    let until_ms = timefmt::unix_millis(SystemTime::now()) + 86_400_000;
    let mut candidates: Vec<_> = list_sets(client, region, instance, since_ms, until_ms)
        .await?
        .into_iter()
        .filter(|s| s.begin_time >= since_ms && s.backup_model != "0")
        .collect();
    candidates.sort_by_key(|s| s.begin_time);
    Ok(candidates
        .into_iter()
        .find(|s| provider.claim_backup_set(&claim_key(instance, &s.backup_set_id)))
        .map(|s| s.backup_set_id))
}

fn claim_key(instance: &str, set_id: &str) -> String {
    format!("{instance}:{set_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lost answer and a gateway's 502/504 are looked for; an API error is not.
    #[test]
    fn which_failures_may_have_created() {
        let e = |kind, status| {
            let mut e = ApiError::local(kind, "CreateBackup", "C", "m");
            e.http_status = status;
            e
        };
        assert!(answer_may_be_lost(&e(ErrorKind::Ambiguous, None)));
        assert!(answer_may_be_lost(&e(ErrorKind::ServerError, Some(502))));
        assert!(answer_may_be_lost(&e(ErrorKind::ServerError, Some(504))));
        assert!(!answer_may_be_lost(&e(ErrorKind::ServerError, Some(503))));
        assert!(!answer_may_be_lost(&e(ErrorKind::InvalidState, Some(400))));
    }
}
