//! Typed PolarDB-X (2020-02-02) calls: CreateBackup, DescribeBackupSetList, DescribeBackupSet.
//!
//! Parsers are pure functions tested on sample bodies. The API has sent `Data` as an object and
//! as an array, and ids, statuses and times as numbers or strings: all are accepted.

use serde_json::Value;

use super::client::{CallOptions, Client};
use super::error::{ApiError, ErrorKind};
use super::lenient;

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

/// The parameters of a call on PolarDB-X instance `db_instance_name` in `region_id`: the two that
/// name the instance in every call, then the call's own.
pub fn instance_params<const N: usize>(
    region_id: &str,
    db_instance_name: &str,
    own: [(&'static str, String); N],
) -> Vec<(&'static str, String)> {
    let mut params = vec![
        ("RegionId", region_id.to_string()),
        ("DBInstanceName", db_instance_name.to_string()),
    ];
    params.extend(own);
    params
}

/// CreateBackup; returns `BackupSetId` (lenient: `Data` object or array, id string or number).
/// Not idempotent: an [`super::ErrorKind::Ambiguous`] error is returned, not retried.
pub async fn create_backup(
    client: &Client,
    region_id: &str,
    db_instance_name: &str,
    backup_type: &str,
) -> Result<String, ApiError> {
    let params = instance_params(
        region_id,
        db_instance_name,
        [("BackupType", backup_type.to_string())],
    );
    // PolarDB-X CreateBackup has no ClientToken: a blind retry could create a second backup.
    let opts = CallOptions {
        idempotent: false,
        finish_in_flight: true,
    };
    client
        .call_for(
            "CreateBackup",
            &params,
            opts,
            "Data.BackupSetId",
            parse_create_backup,
        )
        .await
}

/// `Data.BackupSetId` of a CreateBackup answer, with `Data` an object or an array.
pub fn parse_create_backup(body: &Value) -> Option<String> {
    lenient::first_string(&body["Data"], "BackupSetId")
}

/// One page of DescribeBackupSetList.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupSetPage {
    pub sets: Vec<BackupSet>,
    /// `TotalRecordCount` (or `TotalNumber`, which Apsara Stack's answers carry) when the answer
    /// has one (the public SDK's model has neither), else 0.
    pub total: u64,
}

/// The page size [`list_backup_sets`] asks for.
const PAGE_SIZE: u32 = 100;

/// Every backup set of `instance` begun in `[start_ms, end_ms]`, each once: the listing the data
/// source and the adoption of a lost create share (every page, however the service caps them).
pub async fn list_backup_sets(
    client: &Client,
    region: &str,
    instance: &str,
    start_ms: i64,
    end_ms: i64,
) -> Result<Vec<BackupSet>, ApiError> {
    let sets = super::paging::all_pages(PAGE_SIZE, |page| async move {
        let p =
            describe_backup_set_page(client, region, instance, start_ms, end_ms, page, PAGE_SIZE)
                .await?;
        Ok((p.sets, p.total))
    })
    .await?;
    // A set begun while paging shifts the pages: keep the first copy of each.
    let mut seen = std::collections::HashSet::new();
    Ok(sets
        .into_iter()
        .filter(|s| seen.insert(s.backup_set_id.clone()))
        .collect())
}

/// DescribeBackupSetList for a time window in epoch milliseconds; one page. The service may
/// answer fewer than `page_size` sets on a page that is not the last: page with
/// `paging::all_pages`, which does not stop at a short page.
pub async fn describe_backup_set_page(
    client: &Client,
    region_id: &str,
    db_instance_name: &str,
    start_ms: i64,
    end_ms: i64,
    page_number: u32,
    page_size: u32,
) -> Result<BackupSetPage, ApiError> {
    let params = instance_params(
        region_id,
        db_instance_name,
        [
            ("StartTime", start_ms.to_string()),
            ("EndTime", end_ms.to_string()),
            ("PageNumber", page_number.max(1).to_string()),
            ("PageSize", page_size.max(1).to_string()),
        ],
    );
    let body = client
        .call("DescribeBackupSetList", &params, CallOptions::READ)
        .await?;
    Ok(BackupSetPage {
        sets: parse_backup_sets(&body),
        total: parse_total(&body),
    })
}

/// DescribeBackupSet; `None` when the backup set does not exist (an empty `Data`, or a not-found
/// error, which includes the instance being gone: then its backup sets are gone too).
pub async fn describe_backup_set(
    client: &Client,
    region_id: &str,
    db_instance_name: &str,
    backup_set_id: &str,
) -> Result<Option<BackupSet>, ApiError> {
    let body = describe_backup_set_answer(client, region_id, db_instance_name, backup_set_id);
    Ok(body.await?.and_then(|body| {
        parse_backup_sets(&body)
            .into_iter()
            .find(|s| s.backup_set_id == backup_set_id)
    }))
}

/// The whole DescribeBackupSet answer (the backup set and its download links); `None` on a
/// not-found error (the backup set or its instance is gone).
pub async fn describe_backup_set_answer(
    client: &Client,
    region_id: &str,
    db_instance_name: &str,
    backup_set_id: &str,
) -> Result<Option<Value>, ApiError> {
    let params = instance_params(
        region_id,
        db_instance_name,
        [("BackupSetId", backup_set_id.to_string())],
    );
    let options = CallOptions::READ;
    match client.call("DescribeBackupSet", &params, options).await {
        Ok(body) => Ok(Some(body)),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The listing's total, `TotalRecordCount` or `TotalNumber`; 0 when there is none.
pub fn parse_total(body: &Value) -> u64 {
    ["TotalRecordCount", "TotalNumber"]
        .iter()
        .find_map(|k| lenient::int(&body[*k]))
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0)
}

/// The `Data[]` of DescribeBackupSetList / DescribeBackupSet.
pub fn parse_backup_sets(body: &Value) -> Vec<BackupSet> {
    lenient::list(&body["Data"])
        .into_iter()
        .map(|v| BackupSet {
            backup_set_id: lenient::string(&v["BackupSetId"]),
            status: lenient::int(&v["Status"]).unwrap_or(0),
            backup_model: lenient::string(&v["BackupModel"]),
            backup_type: lenient::string(&v["BackupType"]),
            begin_time: lenient::int(&v["BeginTime"]).unwrap_or(0),
            end_time: lenient::int(&v["EndTime"]).unwrap_or(0),
            backup_set_size: lenient::int(&v["BackupSetSize"]).unwrap_or(0),
        })
        .filter(|s| !s.backup_set_id.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The seed's JSON sample (array Data, numeric id) and the current object form both parse.
    #[test]
    fn create_backup_data_shapes() {
        let seed = json!({
            "Message": "*****", "RequestId": "9B2F3840-5C98-475C-B269-2D5C3A31797C",
            "Success": true, "Data": [{"BackupSetId": 627833}]
        });
        assert_eq!(parse_create_backup(&seed).as_deref(), Some("627833"));
        let object = json!({"Success": true, "Data": {"BackupSetId": "627833"}, "RequestId": "R"});
        assert_eq!(parse_create_backup(&object).as_deref(), Some("627833"));
        assert_eq!(parse_create_backup(&json!({"Data": []})), None);
        assert_eq!(parse_create_backup(&json!({"Data": null})), None);
    }

    /// A total is read under either name, as a number or a string; none (the SDK's model) is 0.
    #[test]
    fn listing_totals() {
        assert_eq!(
            parse_total(&json!({"TotalRecordCount": 12, "Data": []})),
            12
        );
        assert_eq!(parse_total(&json!({"TotalNumber": "7", "Data": []})), 7);
        assert_eq!(parse_total(&json!({"Success": true, "Data": []})), 0);
        assert_eq!(parse_total(&json!({"TotalRecordCount": -1})), 0);
    }

    /// Backup set lists accept numbers or strings for every field.
    #[test]
    fn backup_set_list() {
        let body = json!({"Success": true, "RequestId": "R", "Data": [
            {"BackupSetId": "111", "Status": 1, "BackupModel": 1, "BackupType": 0,
             "BeginTime": 1635706960956i64, "EndTime": 1635706990956i64, "BackupSetSize": 88803195},
            {"BackupSetId": 112, "Status": "0", "BackupModel": "1", "BackupType": "1",
             "BeginTime": "1635707000000", "EndTime": "0", "BackupSetSize": "0"}
        ]});
        let sets = parse_backup_sets(&body);
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[0].backup_set_id, "111");
        assert_eq!(sets[0].status, 1);
        assert_eq!(sets[0].backup_model, "1");
        assert_eq!(sets[0].backup_set_size, 88_803_195);
        assert_eq!(sets[1].backup_set_id, "112");
        assert_eq!(sets[1].status, 0);
        assert_eq!(sets[1].begin_time, 1_635_707_000_000);
        assert!(parse_backup_sets(&json!({"Data": []})).is_empty());
    }
}
