//! What each product's API answer becomes in state, written once per product: the resource
//! (create, Read, import) and the items of its data sources take the same attributes from
//! here, so the two can never name or convert a field differently.

use crate::alicloud::polardb::Backup;
use crate::alicloud::polardbx::BackupSet;
use crate::tfvalue::Value;
use crate::timefmt;

/// A string from an API answer as a state value: empty means "not reported", i.e. null.
pub fn text(s: &str) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        Value::string(s)
    }
}

/// The attributes of a PolarDB backup (DescribeBackups) that the resource and the data
/// sources' items both carry.
pub fn polardb_backup(b: &Backup) -> [(&'static str, Value); 9] {
    [
        ("status", text(&b.backup_status)),
        ("backup_method", text(&b.backup_method)),
        ("backup_type", text(&b.backup_type)),
        ("backups_level", text(&b.backups_level)),
        ("start_time", text(&b.backup_start_time)),
        ("end_time", text(&b.backup_end_time)),
        (
            "size_bytes",
            b.backup_set_size.map_or(Value::Null, Value::int),
        ),
        ("consistent_time", text(&b.consistent_time)),
        ("expire_time", text(&b.expect_expire_time)),
    ]
}

/// The attributes of a PolarDB-X backup set (DescribeBackupSet, DescribeBackupSetList) that
/// the resource and the data sources' items both carry.
pub fn polardbx_backup_set(s: &BackupSet) -> [(&'static str, Value); 5] {
    [
        ("status", Value::string(status_name(s.status))),
        ("backup_model", text(&s.backup_model)),
        ("begin_time", time_ms(s.begin_time)),
        ("end_time", time_ms(s.end_time)),
        ("size_bytes", Value::int(s.backup_set_size)),
    ]
}

/// Sets each of `fields` in `state`.
pub fn set_all<const N: usize>(state: &mut Value, fields: [(&'static str, Value); N]) {
    for (name, value) in fields {
        state.set(name, value);
    }
}

/// The PolarDB-X API's numeric status as a word, like PolarDB's.
pub fn status_name(status: i64) -> String {
    match status {
        0 => "Running".into(),
        1 => "Success".into(),
        2 => "Failed".into(),
        other => other.to_string(),
    }
}

/// Epoch milliseconds as `yyyy-MM-ddTHH:mm:ssZ`; 0 (not reported) as null.
pub fn time_ms(ms: i64) -> Value {
    if ms <= 0 {
        Value::Null
    } else {
        Value::string(timefmt::iso8601_seconds(timefmt::from_unix_secs(ms / 1000)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unreported strings and times become null; a status code becomes its word.
    #[test]
    fn unreported_is_null() {
        let fields = polardbx_backup_set(&BackupSet {
            status: 1,
            ..BackupSet::default()
        });
        let get = |n: &str| fields.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone());
        assert_eq!(get("status"), Some(Value::string("Success")));
        assert_eq!(get("begin_time"), Some(Value::Null));
        assert_eq!(get("backup_model"), Some(Value::Null));
        assert_eq!(status_name(7), "7");
        assert_eq!(
            time_ms(1_700_000_000_000),
            Value::string("2023-11-14T22:13:20Z")
        );
        let polardb = polardb_backup(&Backup::default());
        assert!(polardb.iter().all(|(_, v)| v.is_null()));
    }
}
