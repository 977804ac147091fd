//! Fuzzes what the API client makes of an HTTP answer: the status line's code and an arbitrary
//! body go through the client's own response path (`parse_response`: error body parser for JSON,
//! XML, HTML or empty bodies, `"Success": false` detection), then every typed parser of both
//! products reads the successful JSON. No input may panic; every error must be typed, carry the
//! status and a non-empty code, and quote at most a bounded snippet of a body it cannot read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terraform_provider_alicloud::alicloud::client::parse_response;
use terraform_provider_alicloud::alicloud::error::{parse_error_body, UNEXPECTED_RESPONSE};
use terraform_provider_alicloud::alicloud::{polardb, polardbx, ErrorKind};

/// The actions the provider calls; the error text names one.
const ACTIONS: &[&str] = &[
    "CreateBackup",
    "DescribeBackups",
    "DescribeBackupTasks",
    "DeleteBackup",
    "DescribeBackupSetList",
    "DescribeBackupSet",
];

/// Statuses worth hitting often; other inputs pick any status from 100 to 599.
const STATUSES: &[u16] = &[200, 200, 200, 400, 403, 404, 500, 502, 503, 504];

fuzz_target!(|data: &[u8]| {
    let (head, body) = data.split_at(data.len().min(2));
    let selector = head.first().copied().unwrap_or(0);
    let status = match head.get(1) {
        Some(&b) if b < 200 => STATUSES[usize::from(b) % STATUSES.len()],
        Some(&b) => 100 + u16::from(b) * 2,
        None => 200,
    };
    let action = ACTIONS[usize::from(selector) % ACTIONS.len()];
    // reqwest's `text()` decodes lossily too.
    let body = String::from_utf8_lossy(body);

    match parse_response(action, status, &body) {
        Ok(json) => {
            assert!(
                (200..300).contains(&status),
                "HTTP {status} accepted as success"
            );
            typed_parsers(&json);
        }
        Err(e) => check_error(&e, action, status),
    }
    let e = parse_error_body(action, status, &body);
    check_error(&e, action, status);
});

/// Every typed parser reads any JSON without panicking, and what it returns is usable.
fn typed_parsers(json: &serde_json::Value) {
    if let Some(id) = polardb::parse_create_backup(json) {
        assert!(!id.is_empty());
    }
    let page = polardb::parse_backup_page(json);
    let _ = (page.items.len(), page.total_record_count, page.page_number);
    let _ = polardb::parse_backup_tasks(json);
    if let Some(id) = polardbx::parse_create_backup(json) {
        assert!(!id.is_empty());
    }
    for set in polardbx::parse_backup_sets(json) {
        assert!(!set.backup_set_id.is_empty(), "backup set without id kept");
    }
}

/// The invariants of a typed error.
fn check_error(e: &terraform_provider_alicloud::alicloud::ApiError, action: &str, status: u16) {
    assert_eq!(e.action, action);
    assert_eq!(e.http_status, Some(status));
    assert!(!e.code.is_empty(), "error without a code");
    if e.code == UNEXPECTED_RESPONSE {
        assert!(
            e.message.chars().count() <= 300,
            "unreadable body quoted at length: {} chars",
            e.message.chars().count()
        );
        if matches!(status, 500 | 502 | 503 | 504) {
            assert_eq!(e.kind, ErrorKind::ServerError, "a 5xx page must be retried");
        }
    }
    let _ = e.to_string();
}
