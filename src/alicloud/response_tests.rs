//! Robustness of everything that reads an API answer: the client's response path
//! ([`super::client::parse_response`]), the error body parser and the typed parsers of both
//! products, fed truncated JSON, wrong types, HTML pages, empty bodies, huge numbers, deep
//! nesting and random bytes. Every input must give a typed result or a typed error, never a
//! panic. Then the same through a real HTTP exchange with the scripted test server.
//!
//! The generator is `crate::rng` (SplitMix64) from fixed seeds, so every failure reproduces;
//! assertion messages print the offending body.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::client::parse_response;
use super::credentials::{Credentials, Secret, StaticCredentials};
use super::error::{parse_error_body, UNEXPECTED_RESPONSE};
use super::test_server::{Reply, Server};
use super::{polardb, polardbx, ApiError, Client, ClientConfig, ErrorKind, Product};

use crate::rng::Rng;

/// Successful answers of every action the provider calls, as the service sends them.
fn samples() -> Vec<Value> {
    vec![
        json!({"RequestId": "R-1", "BackupJobId": 11111111}),
        json!({"RequestId": "R-2", "TotalRecordCount": "2", "PageNumber": "1", "PageRecordCount": "2",
               "Items": {"Backup": [
                   {"BackupId": "1", "DBClusterId": "pc-a", "BackupStatus": "Success", "BackupSetSize": "7251056",
                    "BackupStartTime": "2020-05-12T03:25:55Z", "ConsistentTime": 1589253970, "IsAvail": 1},
                   {"BackupId": 2, "DBClusterId": "pc-a", "BackupStatus": "Backuping"}]}}),
        json!({"RequestId": "R-3", "Items": {"BackupJob": [
                   {"BackupJobId": 32143432, "BackupProgressStatus": "Uploading", "Process": "50"}]}}),
        json!({"RequestId": "R-4", "Success": true, "Data": {"BackupSetId": "627833"}}),
        json!({"RequestId": "R-5", "Success": true, "Data": [
                   {"BackupSetId": 111, "Status": 1, "BackupModel": 1, "BeginTime": 1635706960956i64,
                    "EndTime": "1635706990956", "BackupSetSize": 88803195}]}),
    ]
}

/// Values of every JSON type, including ones no field should ever hold.
fn wrong_values() -> Vec<Value> {
    // Linear nesting (one child per level): 60 levels, well inside serde_json's limit of 128.
    let deep = (0..30).fold(json!("x"), |v, _| json!([{ "k": v }]));
    vec![
        Value::Null,
        json!(true),
        json!(-1),
        json!(0),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1e308),
        json!(-1e308),
        json!(0.5),
        json!(""),
        json!("not a number"),
        json!("-9223372036854775809"),
        json!("99999999999999999999999999"),
        json!("1e999"),
        json!("NaN"),
        json!([]),
        json!({}),
        json!([null, 1, "2"]),
        json!({"Backup": {"BackupId": {}}}),
        json!("\u{0000}\u{FFFF}ü😀"),
        deep,
    ]
}

/// Runs every typed parser on `body` and checks what each returns is usable.
fn parse_all(body: &Value) {
    if let Some(id) = polardb::parse_create_backup(body) {
        assert!(!id.is_empty(), "empty id from {body}");
    }
    let page = polardb::parse_backup_page(body);
    // One item per element given (or one for a lone object), never invented ones.
    let given = match &body["Items"]["Backup"] {
        Value::Array(a) => a.len(),
        Value::Object(_) => 1,
        _ => 0,
    };
    assert_eq!(page.items.len(), given, "{body}");
    let _ = polardb::parse_backup_tasks(body);
    if let Some(id) = polardbx::parse_create_backup(body) {
        assert!(!id.is_empty(), "empty id from {body}");
    }
    for set in polardbx::parse_backup_sets(body) {
        assert!(!set.backup_set_id.is_empty(), "set without id from {body}");
    }
}

/// The invariants every typed error keeps, whatever the body.
fn check_error(e: &ApiError, action: &str, status: u16, body: &str) {
    let shown: String = body.chars().take(120).collect();
    assert_eq!(e.action, action, "body {shown:?}");
    assert_eq!(e.http_status, Some(status), "body {shown:?}");
    assert!(!e.code.is_empty(), "no code for body {shown:?}");
    if e.code == UNEXPECTED_RESPONSE {
        assert!(
            e.message.chars().count() <= 300,
            "unreadable body quoted at length ({} chars)",
            e.message.chars().count()
        );
        assert!(
            e.message.contains(&format!("HTTP {status}")),
            "{}",
            e.message
        );
        let expected = if matches!(status, 500 | 502 | 503 | 504) {
            ErrorKind::ServerError
        } else {
            ErrorKind::Other
        };
        assert_eq!(e.kind, expected, "status {status}, body {shown:?}");
    }
    assert!(e.to_string().starts_with(action));
}

/// Feeds one answer through the client's response path and the error parser.
fn feed(action: &str, status: u16, body: &str) -> Result<Value, ApiError> {
    let result = parse_response(action, status, body);
    match &result {
        Ok(v) => {
            assert!((200..300).contains(&status), "HTTP {status} accepted");
            parse_all(v);
        }
        Err(e) => check_error(e, action, status, body),
    }
    check_error(
        &parse_error_body(action, status, body),
        action,
        status,
        body,
    );
    result
}

/// Every strict prefix of every sample answer is refused as an unreadable 200, never parsed
/// into a half-read value, and never panics.
#[test]
fn truncated_answers_are_typed_errors() {
    let mut tried = 0;
    for sample in samples() {
        let text = sample.to_string();
        assert!(feed("CreateBackup", 200, &text).is_ok());
        for cut in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
            let e = feed("CreateBackup", 200, &text[..cut]).expect_err(&text[..cut]);
            assert_eq!(e.code, UNEXPECTED_RESPONSE, "{}", &text[..cut]);
            assert_eq!(e.kind, ErrorKind::Other);
            tried += 1;
        }
    }
    assert!(tried > 500, "only {tried} truncations");
    eprintln!("truncated answers refused: {tried}");
}

/// Any field of any answer replaced by a value of the wrong type still parses to a typed result
/// (missing data reads as absent), never a panic.
#[test]
fn wrong_types_in_every_field() {
    let mut tried = 0;
    for sample in samples() {
        let paths = leaf_paths(&sample, Vec::new());
        for path in &paths {
            for wrong in wrong_values() {
                let mut body = sample.clone();
                if let Some(slot) = pointer_mut(&mut body, path) {
                    *slot = wrong.clone();
                }
                parse_all(&body);
                let _ = feed("DescribeBackups", 200, &body.to_string());
                tried += 1;
            }
        }
        // The whole body of the wrong type, too.
        for wrong in wrong_values() {
            parse_all(&wrong);
            tried += 1;
        }
    }
    assert!(tried > 1000, "only {tried} bodies");
    eprintln!("wrong-typed bodies parsed: {tried}");
}

/// The paths of every value in `v` (objects and arrays included, so whole subtrees get
/// replaced as well as leaves).
fn leaf_paths(v: &Value, here: Vec<String>) -> Vec<Vec<String>> {
    let mut out = vec![here.clone()];
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let mut p = here.clone();
                p.push(k.clone());
                out.extend(leaf_paths(child, p));
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                let mut p = here.clone();
                p.push(i.to_string());
                out.extend(leaf_paths(child, p));
            }
        }
        _ => {}
    }
    out
}

fn pointer_mut<'a>(v: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, step| match v {
        Value::Object(m) => m.get_mut(step),
        Value::Array(a) => step.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
        _ => None,
    })
}

/// Numbers beyond every integer type read as absent or saturated, never as a panic: a page
/// number too big for u32 falls back to 1, an impossible record count to 0.
#[test]
fn huge_numbers() {
    let body = r#"{"RequestId":"R","BackupJobId":18446744073709551616,"TotalRecordCount":-5,
        "PageNumber":99999999999999999999,"Items":{"Backup":[{"BackupId":"1","BackupSetSize":1e300}]},
        "Data":[{"BackupSetId":"9","Status":"1e30","BeginTime":-1e300,"BackupSetSize":"99999999999999999999"}]}"#;
    let v = feed("DescribeBackups", 200, body).expect("valid JSON");
    let page = polardb::parse_backup_page(&v);
    assert_eq!(page.total_record_count, 0);
    assert_eq!(page.page_number, 1);
    assert_eq!(page.items[0].backup_set_size, Some(i64::MAX));
    let sets = polardbx::parse_backup_sets(&v);
    assert_eq!(sets[0].backup_set_id, "9");
    assert_eq!(sets[0].begin_time, i64::MIN);
    // A number serde_json cannot hold at all makes the body unreadable: a typed error.
    let e = feed("CreateBackup", 200, r#"{"BackupJobId":1e400}"#).expect_err("1e400");
    assert_eq!(e.code, UNEXPECTED_RESPONSE);
}

/// Nesting far beyond serde_json's recursion limit is an error, not a stack overflow.
#[test]
fn deep_nesting_is_refused() {
    for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
        let body = format!("{}1{}", open.repeat(100_000), close.repeat(100_000));
        let e = feed("DescribeBackupSetList", 200, &body).expect_err("deep nesting");
        assert_eq!(e.code, UNEXPECTED_RESPONSE);
        feed("DescribeBackupSetList", 503, &body).expect_err("deep nesting");
    }
}

/// HTML pages from proxies and load balancers, and empty or blank bodies, at every status the
/// service and its front ends use: `UnexpectedResponse`, retried exactly when the status says
/// the server failed, the snippet bounded.
#[test]
fn html_pages_and_empty_bodies() {
    let pages = [
        "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>",
        "<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>",
        &format!("<html><body>{}</body></html>", "<p>padding</p>".repeat(10_000)),
        "",
        "   \r\n\t ",
        "null",
        "[]",
        "\"a string\"",
        "{}",
        "<Error>no code tag</Error>",
        "<Error><Code></Code></Error>",
        "<Error><Code>unterminated",
    ];
    for status in [
        200, 201, 204, 301, 400, 403, 404, 429, 500, 502, 503, 504, 599,
    ] {
        for page in &pages {
            let r = feed("CreateBackup", status, page);
            if !(200..300).contains(&status) {
                let e = r.expect_err(page);
                assert_eq!(e.code, UNEXPECTED_RESPONSE, "{status} {page:?}");
            }
        }
    }
    let e = feed("CreateBackup", 200, "").expect_err("empty 200");
    assert_eq!(e.message, "HTTP 200 with an empty body");
}

/// Random bytes, and random mutations of real answers, never panic.
#[test]
fn random_and_mutated_bodies() {
    let statuses = [200, 400, 403, 404, 500, 502, 503];
    let alphabet = b"{}[]\":,0123456789.eE-+truefalsnl <>/CodeMsgRqId\\u";
    let sources: Vec<String> = samples()
        .iter()
        .map(Value::to_string)
        .chain([
            r#"{"RequestId":"R","Code":"Throttling.User","Message":"m","Recommend":"x"}"#.into(),
            "<?xml version='1.0'?><Error><RequestId>R</RequestId><Code>InvalidBackupSetID.NotFound</Code><Message>a &amp; b</Message></Error>".into(),
            r#"{"Success":false,"Code":"DBInstance.NotFound","Message":"m","RequestId":"R"}"#.into(),
        ])
        .collect();
    for seed in 1..=4u64 {
        let mut rng = Rng::new(seed);
        for _ in 0..2500 {
            let status = statuses[rng.below(statuses.len())];
            let body: Vec<u8> = if rng.below(3) == 0 {
                (0..rng.below(200))
                    .map(|_| {
                        if rng.below(4) == 0 {
                            rng.next_u64() as u8
                        } else {
                            alphabet[rng.below(alphabet.len())]
                        }
                    })
                    .collect()
            } else {
                let mut b = sources[rng.below(sources.len())].clone().into_bytes();
                for _ in 0..=rng.below(6) {
                    let at = rng.below(b.len() + 1);
                    match rng.below(3) {
                        0 if at < b.len() => {
                            b.remove(at);
                        }
                        1 => b.insert(at, alphabet[rng.below(alphabet.len())]),
                        _ if at < b.len() => b[at] = rng.next_u64() as u8,
                        _ => {}
                    }
                }
                b
            };
            let text = String::from_utf8_lossy(&body);
            let _ = feed("DescribeBackupSet", status, &text);
        }
    }
}

/// A client for `url` with a short retry budget and backoff.
fn client(url: &str, budget: Duration) -> Client {
    Client::new(ClientConfig {
        product: Product::Polardb,
        region: "cn-hangzhou".into(),
        endpoint: url.into(),
        signature: Default::default(),
        credentials: Arc::new(StaticCredentials(Credentials {
            access_key_id: "test-id".into(),
            access_key_secret: Secret::new("response-test-secret"),
            security_token: None,
        })),
        max_retry_timeout: budget,
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(2),
        insecure_skip_verify: false,
        user_agent: "test-agent".into(),
    })
    .expect("client")
    .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

const BAD_GATEWAY: &str =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

/// Over HTTP: an HTML 502 page from a proxy, at an endpoint that never answered like the API, is
/// a configuration problem: retried briefly, then reported naming the endpoint and the page.
#[tokio::test]
async fn html_502_over_http_is_a_clear_error() {
    let server = Server::start(Arc::new(|_, _| {
        Reply::Respond(
            502,
            vec![("content-type", "text/html".into())],
            BAD_GATEWAY.into(),
        )
    }))
    .await;
    let c = client(&server.url, Duration::from_secs(300));
    let started = std::time::Instant::now();
    let e = polardb::create_backup(&c, "pc-abc", "token-1")
        .await
        .expect_err("a 502 page is no answer");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "not the 300 s budget: {:?}",
        started.elapsed()
    );
    assert_eq!(e.kind, ErrorKind::Connect);
    assert_eq!(e.code, UNEXPECTED_RESPONSE);
    assert_eq!(e.http_status, Some(502));
    assert!(!e.budget_exhausted, "{e:?}");
    assert!(e.attempts > 1 && server.seen().len() as u32 == e.attempts);
    assert!(e.message.contains("502 Bad Gateway"), "{}", e.message);
    assert!(e.message.contains(&server.url), "{}", e.message);
    let d = crate::diagnostics::api_error("create the PolarDB backup of pc-abc", &e);
    assert!(d.summary.contains("could not be reached"), "{}", d.summary);
    assert!(d.detail.contains("HTTP 502"), "{}", d.detail);
    assert!(d.detail.contains("endpoints.polardb"), "{}", d.detail);
}

/// Over HTTP: once the endpoint has answered like the API, a 502 page is a passing failure:
/// retried for the whole budget, and the diagnostic says the budget ran out.
#[tokio::test]
async fn html_502_after_the_api_answered_is_retried() {
    let server = Server::start(Arc::new(|n, _| match n {
        0 => Reply::Respond(
            200,
            vec![],
            r#"{"RequestId":"R-0","BackupJobId":"1"}"#.into(),
        ),
        _ => Reply::Respond(
            502,
            vec![("content-type", "text/html".into())],
            BAD_GATEWAY.into(),
        ),
    }))
    .await;
    let c = client(&server.url, Duration::from_millis(300));
    polardb::create_backup(&c, "pc-abc", "token-1")
        .await
        .expect("the API answers first");
    let e = polardb::create_backup(&c, "pc-abc", "token-1")
        .await
        .expect_err("then only 502 pages");
    assert_eq!(e.kind, ErrorKind::ServerError);
    assert!(e.budget_exhausted, "{e:?}");
    assert!(e.attempts > 1);
    let d = crate::diagnostics::api_error("create the PolarDB backup of pc-abc", &e);
    assert!(d.summary.contains("retry budget ran out"), "{}", d.summary);
    assert!(d.detail.contains("max_retry_timeout"), "{}", d.detail);
}

/// Over HTTP: an empty 200 is not retried (the call may have happened) and says what came back;
/// at an endpoint that never answered like the API it is reported as the endpoint's problem;
/// a 200 whose JSON lacks the id names the missing field and keeps the RequestId.
#[tokio::test]
async fn empty_200_over_http_is_a_clear_error() {
    let server = Server::start(Arc::new(|n, _| match n {
        0 => Reply::Respond(200, vec![], String::new()),
        1 => Reply::Respond(200, vec![], r#"{"RequestId":"R-EMPTY"}"#.into()),
        _ => Reply::Respond(
            200,
            vec![],
            r#"{"RequestId":"R-3","Data":{"BackupSetId":"#.into(),
        ),
    }))
    .await;
    let c = client(&server.url, Duration::from_secs(2));
    let e = polardb::create_backup(&c, "pc-abc", "token-1")
        .await
        .expect_err("an empty body is no answer");
    assert_eq!(e.kind, ErrorKind::Connect, "not the API's answer");
    assert!(
        e.message.contains("HTTP 200 with an empty body"),
        "{}",
        e.message
    );
    server.assert_requests(1, "an unreadable success must not be repeated");
    let d = crate::diagnostics::api_error("create the PolarDB backup of pc-abc", &e);
    assert!(
        d.detail.contains("HTTP 200 with an empty body"),
        "{}",
        d.detail
    );

    let e = polardb::create_backup(&c, "pc-abc", "token-1")
        .await
        .expect_err("no BackupJobId");
    assert!(e.message.contains("BackupJobId"), "{}", e.message);
    assert_eq!(e.request_id.as_deref(), Some("R-EMPTY"));

    let mut cx = client(&server.url, Duration::from_secs(2)).config().clone();
    cx.product = Product::Polardbx;
    let cx = Client::new(cx).expect("client");
    let e = polardbx::create_backup(&cx, "cn-hangzhou", "pxc-abc", "0")
        .await
        .expect_err("truncated JSON");
    assert_eq!(e.code, UNEXPECTED_RESPONSE);
    assert!(e.message.contains("not an API error"), "{}", e.message);
    server.assert_requests(3, "three creates, none repeated");
}
