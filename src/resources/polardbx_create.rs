//! Creating a PolarDB-X backup set exactly once, although CreateBackup has no idempotency token.
//!
//! When an attempt's answer is lost ([`ErrorKind::Ambiguous`]: sent, but no reply), the backup
//! set may exist. Before trying again, list the instance's backup sets begun since the first
//! attempt and adopt a manual one that no other resource of this provider process has claimed.
//! Creates of one instance take turns, so a set another create just made is always claimed
//! before this one looks.

use std::time::{Duration, Instant, SystemTime};

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

/// Calls CreateBackup until it answers. When an answer is lost ([`ErrorKind::Ambiguous`]), a
/// backup set may exist: adopt a manual one begun since the first attempt that no other
/// resource has claimed, else try again (up to [`MAX_AMBIGUOUS_ATTEMPTS`], within `deadline`).
/// Creates of one instance take turns (only the call, not the wait for completion), so a
/// backup set another resource's create just made is always claimed before this one looks.
pub(super) async fn create_exactly_once(
    provider: &ProviderData,
    client: &Client,
    region: &str,
    instance: &str,
    backup_type: &str,
    deadline: Instant,
) -> Result<String, Diagnostic> {
    let lock = provider.polardbx_create_lock(&format!("{region}:{instance}"));
    let _one_create_at_a_time = lock.lock().await;
    let first_attempt = SystemTime::now();
    let since_ms = timefmt::unix_millis(first_attempt) - ADOPTION_SLACK.as_millis() as i64;
    let doing = format!("create a backup of {instance}");
    for attempt in 1..=MAX_AMBIGUOUS_ATTEMPTS {
        match polardbx::create_backup(client, region, instance, backup_type).await {
            Ok(id) if !id.is_empty() => {
                provider.claim_backup_set(&claim_key(instance, &id));
                return Ok(id);
            }
            Ok(_) => {
                return Err(Diagnostic::error(
                    "CreateBackup returned no backup set ID",
                    format!(
                        "PolarDB-X accepted the backup request for {instance} but returned no \
                         BackupSetId. Check the instance's backup sets and import the new one \
                         with `terraform import <address> {region}:{instance}:<backup_set_id>`."
                    ),
                ))
            }
            Err(e) if e.kind == ErrorKind::Ambiguous => {
                tracing::warn!(
                    instance,
                    attempt,
                    request_id = e.request_id.as_deref().unwrap_or(""),
                    "CreateBackup answer lost; looking for the backup set it may have made"
                );
                // Look twice, a moment apart: a new backup set may take a moment to be listed.
                for look in 0..2 {
                    if look > 0 {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    match adopt(provider, client, region, instance, since_ms).await {
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
                            let mut d = diag::api_error(&doing, &e);
                            d.detail.push_str(&format!(
                                "\n\nThe provider could not list the instance's backup sets to \
                                 check whether the lost request made one ({list_err}). If a new \
                                 backup set appears, import it instead of applying again."
                            ));
                            return Err(d);
                        }
                    }
                }
                if attempt == MAX_AMBIGUOUS_ATTEMPTS || Instant::now() >= deadline {
                    return Err(diag::api_error(&doing, &e));
                }
            }
            Err(e) => return Err(diag::api_error(&doing, &e)),
        }
    }
    Err(Diagnostic::error(
        "CreateBackup kept losing its answers",
        format!(
            "No CreateBackup attempt for {instance} got an answer, and no backup set was found."
        ),
    ))
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
    let mut candidates = Vec::new();
    for page in 1..=20u32 {
        let sets = polardbx::describe_backup_set_list(
            client, region, instance, since_ms, until_ms, page, 100,
        )
        .await?;
        let n = sets.len();
        candidates.extend(
            sets.into_iter()
                .filter(|s| s.begin_time >= since_ms && s.backup_model != "0"),
        );
        if n < 100 {
            break;
        }
    }
    candidates.sort_by_key(|s| s.begin_time);
    Ok(candidates
        .into_iter()
        .find(|s| provider.claim_backup_set(&claim_key(instance, &s.backup_set_id)))
        .map(|s| s.backup_set_id))
}

fn claim_key(instance: &str, set_id: &str) -> String {
    format!("{instance}:{set_id}")
}
