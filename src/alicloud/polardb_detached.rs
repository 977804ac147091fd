//! PolarDB backup listings with what the typed DescribeBackups leaves out: each backup's
//! `Comment`, and DescribeDetachedBackups, the backups a released cluster left behind (its
//! backup retention policy on release kept them), which takes DescribeBackups' query and
//! answers in its shape.

use serde_json::Value;

use super::client::{CallOptions, Client};
use super::error::ApiError;
use super::lenient;
use super::polardb::{parse_backup_page, BackupPage, DescribeBackups};

/// Which listing to ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// DescribeBackups: the backups of a cluster that exists.
    Attached,
    /// DescribeDetachedBackups: the backups kept after the cluster was released.
    Detached,
}

/// One page of `listing`, with each item's `Comment` (empty when none), in item order.
pub async fn describe_page(
    client: &Client,
    listing: Listing,
    q: &DescribeBackups,
) -> Result<(BackupPage, Vec<String>), ApiError> {
    let params = q.params();
    let action = match listing {
        Listing::Attached => "DescribeBackups",
        Listing::Detached => "DescribeDetachedBackups",
    };
    let body = client.call(action, &params, CallOptions::READ).await?;
    Ok((parse_backup_page(&body), comments(&body)))
}

/// The `Comment` of every `Items.Backup[]`, in order.
pub fn comments(body: &Value) -> Vec<String> {
    lenient::list(&body["Items"]["Backup"])
        .into_iter()
        .map(|b| lenient::string(&b["Comment"]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Comments line up with the items; a missing one is empty.
    #[test]
    fn comments_in_item_order() {
        let body = json!({"Items": {"Backup": [
            {"BackupId": "1", "Comment": "before v42"}, {"BackupId": "2"}
        ]}, "TotalRecordCount": 2});
        assert_eq!(comments(&body), ["before v42", ""]);
        assert_eq!(parse_backup_page(&body).items.len(), 2);
    }
}
