//! PolarDB-X DescribeBackupSet's download links (`Data[].OSSList[]`): one per file of a backup
//! set, each with a public and an internal URL and when they expire. The links are credentials
//! to the backup's data: they are never logged, and their `Debug` is redacted.

use serde_json::Value;

use super::client::Client;
use super::error::ApiError;
use super::lenient;
use super::polardbx::{describe_backup_set_answer, parse_backup_sets, BackupSet};

/// One file of a backup set and where to download it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct DownloadLink {
    pub file: String,
    pub url: String,
    pub intranet_url: String,
    /// `yyyy-MM-ddTHH:mm:ssZ` as the API sends it.
    pub expires: String,
}

impl std::fmt::Debug for DownloadLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadLink")
            .field("file", &self.file)
            .field("url", &"<redacted>")
            .field("intranet_url", &"<redacted>")
            .field("expires", &self.expires)
            .finish()
    }
}

/// The backup set and its download links; `None` when the backup set or instance is gone.
pub async fn describe_backup_set_links(
    client: &Client,
    region_id: &str,
    db_instance_name: &str,
    backup_set_id: &str,
) -> Result<Option<(BackupSet, Vec<DownloadLink>)>, ApiError> {
    let body = describe_backup_set_answer(client, region_id, db_instance_name, backup_set_id);
    Ok(body
        .await?
        .and_then(|body| parse_links(&body, backup_set_id)))
}

/// The backup set `id` of a DescribeBackupSet answer with its `OSSList`.
pub fn parse_links(body: &Value, id: &str) -> Option<(BackupSet, Vec<DownloadLink>)> {
    let set = parse_backup_sets(body)
        .into_iter()
        .find(|s| s.backup_set_id == id)?;
    let data = lenient::list(&body["Data"])
        .into_iter()
        .find(|d| lenient::string(&d["BackupSetId"]) == id)?;
    let links = lenient::list(&data["OSSList"])
        .into_iter()
        .map(|l| DownloadLink {
            file: lenient::string(&l["BackupSetFile"]),
            url: lenient::string(&l["DownloadLink"]),
            intranet_url: lenient::string(&l["IntranetDownloadLink"]),
            expires: lenient::string(&l["LinkExpiredTime"]),
        })
        .filter(|l| !l.url.is_empty() || !l.intranet_url.is_empty())
        .collect();
    Some((set, links))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The SDK's documented OSSList fields are read; links without a URL are dropped; Debug
    /// never shows a URL.
    #[test]
    fn links_and_redaction() {
        let body = json!({"Success": true, "Data": [{
        "BackupSetId": 111, "Status": 1, "BeginTime": 1650250861754i64,
        "OSSList": [
            {"BackupSetFile": "a.xb", "DownloadLink": "https://x/a.xb?Signature=s3cr3t",
             "IntranetDownloadLink": "http://x-internal/a.xb", "LinkExpiredTime": "2022-04-20T08:01:37Z"},
            {"BackupSetFile": "empty.xb"}
        ]}]});
        let (set, links) = parse_links(&body, "111").expect("the set");
        assert_eq!(set.status, 1);
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].file, "a.xb");
        assert_eq!(links[0].expires, "2022-04-20T08:01:37Z");
        let debug = format!("{links:?}");
        assert!(
            !debug.contains("s3cr3t") && !debug.contains("internal"),
            "{debug}"
        );
        assert!(parse_links(&json!({"Data": []}), "111").is_none());
    }
}
