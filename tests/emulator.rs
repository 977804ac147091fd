//! The emulator over plain HTTP, with requests signed by the crate's own signer: refusals with
//! the cloud's codes and statuses, PolarDB and PolarDB-X behaviour, faults and persistence.

use std::time::{Duration, SystemTime};

use serde_json::Value;
use terraform_provider_alicloud::alicloud::client::{form_encode, new_nonce};
use terraform_provider_alicloud::alicloud::credentials::{Credentials, Secret};
use terraform_provider_alicloud::alicloud::sign;

use crate::util::emulator::{Emulator, CLUSTER, INSTANCE};
use crate::util::TempDir;

const POLARDB: &str = "2017-08-01";
const POLARDBX: &str = "2020-02-02";

fn creds(id: &str, secret: &str) -> Credentials {
    Credentials {
        access_key_id: id.into(),
        access_key_secret: Secret::new(secret),
        security_token: None,
    }
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn nonce() -> String {
    new_nonce().unwrap_or_else(|e| panic!("{e}"))
}

/// PolarDB's `action` with `params`, V2-signed for `method` with `c`, now and with a fresh nonce.
fn signed_v2(
    method: &str,
    action: &str,
    params: &[(&str, &str)],
    c: &Credentials,
) -> Vec<(String, String)> {
    sign::sign_v2(
        method,
        action,
        POLARDB,
        &pairs(params),
        c,
        SystemTime::now(),
        &nonce(),
    )
}

/// POSTs a form body as given and returns the status and JSON body.
async fn post_form(emu: &Emulator, body: String) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/", emu.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("request failed: {e}"));
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, json)
}

/// A V2-signed call with the emulator's key, the given clock and nonce.
async fn v2_at(
    emu: &Emulator,
    version: &str,
    action: &str,
    params: &[(&str, &str)],
    at: SystemTime,
    nonce: &str,
) -> (u16, Value) {
    let c = creds(emu.access_key(), emu.secret());
    let signed = sign::sign_v2("POST", action, version, &pairs(params), &c, at, nonce);
    post_form(emu, form_encode(&signed)).await
}

async fn v2(emu: &Emulator, version: &str, action: &str, params: &[(&str, &str)]) -> (u16, Value) {
    v2_at(emu, version, action, params, SystemTime::now(), &nonce()).await
}

/// A V3-signed call, parameters in the query string and an empty body, as the official SDKs do.
async fn v3(emu: &Emulator, version: &str, action: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let c = creds(emu.access_key(), emu.secret());
    let query = pairs(params);
    let req = sign::RequestV3 {
        method: "POST",
        host: emu.addr(),
        action,
        version,
        query: &query,
        body: b"",
        content_type: None,
    };
    let headers = sign::sign_v3(&req, &c, SystemTime::now(), &nonce());
    let mut rb = reqwest::Client::new().post(format!("{}/?{}", emu.url(), form_encode(&query)));
    for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
        rb = rb.header(k.as_str(), v.as_str());
    }
    let resp = rb
        .send()
        .await
        .unwrap_or_else(|e| panic!("request failed: {e}"));
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn assert_refused(got: &(u16, Value), status: u16, code: &str) {
    assert_eq!(
        (got.0, got.1["Code"].as_str().unwrap_or("")),
        (status, code),
        "unexpected answer: {}",
        got.1
    );
    let id = got.1["RequestId"].as_str().unwrap_or("");
    assert!(
        id.len() == 36 && id == id.to_uppercase(),
        "RequestId {id:?}"
    );
    for key in ["HostId", "Message", "Recommend"] {
        assert!(got.1[key].is_string(), "{key} missing from {}", got.1);
    }
}

async fn create_polardb(emu: &Emulator, token: &str) -> (u16, Value) {
    v2(
        emu,
        POLARDB,
        "CreateBackup",
        &[("DBClusterId", CLUSTER), ("ClientToken", token)],
    )
    .await
}

fn window() -> (String, String) {
    let now = terraform_provider_alicloud::timefmt::unix_secs(SystemTime::now());
    let f = |s| {
        terraform_provider_alicloud::timefmt::iso8601_minutes(
            terraform_provider_alicloud::timefmt::from_unix_secs(s),
        )
    };
    (f(now - 3600), f(now + 3600))
}

/// A signature computed with the wrong secret is refused with SignatureDoesNotMatch (400), for V2
/// and V3 alike; correctly signed V2 and V3 requests are accepted.
#[tokio::test]
async fn bad_signature_is_refused() {
    let emu = Emulator::start_default();
    let good = v2(
        &emu,
        POLARDB,
        "DescribeBackupTasks",
        &[("DBClusterId", CLUSTER)],
    )
    .await;
    assert_eq!(good.0, 200, "{}", good.1);
    let good = v3(
        &emu,
        POLARDB,
        "DescribeBackupTasks",
        &[("DBClusterId", CLUSTER)],
    )
    .await;
    assert_eq!(good.0, 200, "{}", good.1);
    let wrong = creds(emu.access_key(), "not-the-secret");
    let signed = signed_v2(
        "POST",
        "DescribeBackupTasks",
        &[("DBClusterId", CLUSTER)],
        &wrong,
    );
    assert_refused(
        &post_form(&emu, form_encode(&signed)).await,
        400,
        "SignatureDoesNotMatch",
    );
    // A parameter changed after signing breaks the signature too.
    let mut tampered = signed_v2(
        "POST",
        "DescribeBackupTasks",
        &[("DBClusterId", CLUSTER)],
        &creds(emu.access_key(), emu.secret()),
    );
    for (k, v) in tampered.iter_mut() {
        if k == "DBClusterId" {
            *v = "pc-other".into();
        }
    }
    assert_refused(
        &post_form(&emu, form_encode(&tampered)).await,
        400,
        "SignatureDoesNotMatch",
    );
    let log = emu.requests();
    assert_eq!(log[1]["signature"], "V3", "log: {log}");
}

/// A timestamp 20 minutes off is refused with InvalidTimeStamp.Expired (400).
#[tokio::test]
async fn skewed_clock_is_refused() {
    let emu = Emulator::start_default();
    let past = SystemTime::now() - Duration::from_secs(20 * 60);
    let got = v2_at(
        &emu,
        POLARDB,
        "DescribeBackupTasks",
        &[("DBClusterId", CLUSTER)],
        past,
        &nonce(),
    )
    .await;
    assert_refused(&got, 400, "InvalidTimeStamp.Expired");
    let future = SystemTime::now() + Duration::from_secs(20 * 60);
    let got = v2_at(
        &emu,
        POLARDB,
        "DescribeBackupTasks",
        &[("DBClusterId", CLUSTER)],
        future,
        &nonce(),
    )
    .await;
    assert_refused(&got, 400, "InvalidTimeStamp.Expired");
}

/// The same nonce twice within 15 minutes: the second request is refused with SignatureNonceUsed.
#[tokio::test]
async fn reused_nonce_is_refused() {
    let emu = Emulator::start_default();
    let n = nonce();
    let p = [("DBClusterId", CLUSTER)];
    let first = v2_at(
        &emu,
        POLARDB,
        "DescribeBackupTasks",
        &p,
        SystemTime::now(),
        &n,
    )
    .await;
    assert_eq!(first.0, 200, "{}", first.1);
    let second = v2_at(
        &emu,
        POLARDB,
        "DescribeBackupTasks",
        &p,
        SystemTime::now(),
        &n,
    )
    .await;
    assert_refused(&second, 400, "SignatureNonceUsed");
}

/// An access key the emulator does not know: InvalidAccessKeyId.NotFound (404).
#[tokio::test]
async fn unknown_access_key_is_refused() {
    let emu = Emulator::start_default();
    let c = creds("LTAIUnknown", "whatever");
    let signed = signed_v2(
        "POST",
        "DescribeBackupTasks",
        &[("DBClusterId", CLUSTER)],
        &c,
    );
    assert_refused(
        &post_form(&emu, form_encode(&signed)).await,
        404,
        "InvalidAccessKeyId.NotFound",
    );
}

/// A request without any signature parameters is refused (400) before anything runs.
#[tokio::test]
async fn unsigned_request_is_refused() {
    let emu = Emulator::start_default();
    let body = form_encode(&pairs(&[
        ("Action", "CreateBackup"),
        ("Version", POLARDB),
        ("DBClusterId", CLUSTER),
    ]));
    assert_refused(&post_form(&emu, body).await, 400, "MissingAccessKeyId");
    assert_eq!(emu.backups(), Value::Array(vec![]));
}

/// An action a product lacks (PolarDB-X has no DeleteBackup) is InvalidAction.NotFound (404); an
/// unknown Version is InvalidVersion (400).
#[tokio::test]
async fn unknown_action_and_version() {
    let emu = Emulator::start_default();
    let got = v2(
        &emu,
        POLARDBX,
        "DeleteBackup",
        &[("DBInstanceName", INSTANCE)],
    )
    .await;
    assert_refused(&got, 404, "InvalidAction.NotFound");
    let got = v2(&emu, "2099-01-01", "CreateBackup", &[]).await;
    assert_refused(&got, 400, "InvalidVersion");
}

/// Three manual backups are fine; the fourth CreateBackup fails with the documented quota error.
#[tokio::test]
async fn fourth_polardb_backup_hits_the_quota() {
    let emu = Emulator::start_default();
    for i in 0..3 {
        let got = create_polardb(&emu, &format!("tok-{i}")).await;
        assert_eq!(got.0, 200, "backup {i}: {}", got.1);
        assert!(got.1["BackupJobId"].is_string(), "{}", got.1);
    }
    let fourth = create_polardb(&emu, "tok-3").await;
    assert_refused(&fourth, 403, "BackupTimesExceeded");
    assert_eq!(
        fourth.1["Message"],
        "Exceeding the daily backup times of this DB cluster."
    );
    assert_eq!(emu.backups().as_array().map(Vec::len), Some(3));
}

/// A repeated ClientToken returns the same BackupJobId without a second backup; the same token
/// with different parameters is IdempotentParameterMismatch.
#[tokio::test]
async fn client_token_idempotency() {
    let emu = Emulator::start(&["--cluster", CLUSTER, "--cluster", "pc-second"]);
    let a = create_polardb(&emu, "same-token").await;
    let b = create_polardb(&emu, "same-token").await;
    assert_eq!(a.0, 200, "{}", a.1);
    assert_eq!(a.1["BackupJobId"], b.1["BackupJobId"]);
    assert_ne!(a.1["RequestId"], b.1["RequestId"]);
    let backups = emu.backups();
    assert_eq!(backups.as_array().map(Vec::len), Some(1), "{backups}");
    assert_eq!(backups[0]["client_token"], "same-token");
    let other = v2(
        &emu,
        POLARDB,
        "CreateBackup",
        &[("DBClusterId", "pc-second"), ("ClientToken", "same-token")],
    )
    .await;
    assert_refused(&other, 400, "IdempotentParameterMismatch");
}

/// A PolarDB-X backup set is listed with Status 0 while it runs and 1 once done.
#[tokio::test]
async fn polardbx_backup_runs_then_succeeds() {
    let emu = Emulator::start_default();
    let created = v2(
        &emu,
        POLARDBX,
        "CreateBackup",
        &[
            ("RegionId", "cn-hangzhou"),
            ("DBInstanceName", INSTANCE),
            ("BackupType", "0"),
        ],
    )
    .await;
    assert_eq!(created.0, 200, "{}", created.1);
    assert_eq!(created.1["Success"], true);
    let id = created.1["Data"]["BackupSetId"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        !id.is_empty(),
        "object-shaped Data by default: {}",
        created.1
    );
    let now_ms = terraform_provider_alicloud::timefmt::unix_millis(SystemTime::now());
    let (start, end) = ((now_ms - 60_000).to_string(), (now_ms + 60_000).to_string());
    let list = [
        ("RegionId", "cn-hangzhou"),
        ("DBInstanceName", INSTANCE),
        ("StartTime", start.as_str()),
        ("EndTime", end.as_str()),
        ("PageNumber", "1"),
        ("PageSize", "10"),
    ];
    let running = v2(&emu, POLARDBX, "DescribeBackupSetList", &list).await;
    assert_eq!(running.1["Data"][0]["Status"], 0, "{}", running.1);
    assert_eq!(running.1["Data"][0]["BackupSetId"], id.as_str());
    tokio::time::sleep(Duration::from_millis(400)).await;
    let done = v2(&emu, POLARDBX, "DescribeBackupSetList", &list).await;
    assert_eq!(done.1["Data"][0]["Status"], 1, "{}", done.1);
    assert!(done.1["Data"][0]["EndTime"].as_i64() > done.1["Data"][0]["BeginTime"].as_i64());
    // Older API versions answered an array with a numeric id; the switch brings that back.
    emu.settings(serde_json::json!({ "polardbx_data_as_object": false }));
    let old = v2(
        &emu,
        POLARDBX,
        "CreateBackup",
        &[("RegionId", "cn-hangzhou"), ("DBInstanceName", INSTANCE)],
    )
    .await;
    assert!(old.1["Data"][0]["BackupSetId"].is_u64(), "{}", old.1);
}

/// DeleteBackup refuses a running backup, deletes a finished one, and then does not find it.
#[tokio::test]
async fn polardb_delete_backup() {
    let emu = Emulator::start_default();
    let created = create_polardb(&emu, "del-1").await;
    let id = created.1["BackupJobId"].as_str().unwrap_or("").to_string();
    let del = [("DBClusterId", CLUSTER), ("BackupId", id.as_str())];
    assert_refused(
        &v2(&emu, POLARDB, "DeleteBackup", &del).await,
        403,
        "OperationDenied.BackupStatus",
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (start, end) = window();
    let q = [
        ("DBClusterId", CLUSTER),
        ("StartTime", start.as_str()),
        ("EndTime", end.as_str()),
    ];
    let listed = v2(&emu, POLARDB, "DescribeBackups", &q).await;
    assert_eq!(
        listed.1["Items"]["Backup"][0]["BackupStatus"], "Success",
        "{}",
        listed.1
    );
    let ok = v2(&emu, POLARDB, "DeleteBackup", &del).await;
    assert_eq!(ok.0, 200, "{}", ok.1);
    let listed = v2(&emu, POLARDB, "DescribeBackups", &q).await;
    assert_eq!(listed.1["TotalRecordCount"], "0", "{}", listed.1);
    assert_refused(
        &v2(&emu, POLARDB, "DeleteBackup", &del).await,
        404,
        "InvalidBackupId.NotFound",
    );
}

/// With drop_after_commit the backup is created but the connection closes with no answer.
#[tokio::test]
async fn drop_after_commit_loses_the_answer_not_the_backup() {
    let emu = Emulator::start_default();
    emu.set_faults(serde_json::json!({ "CreateBackup": { "drop_after_commit_rate": 1.0 } }));
    let c = creds(emu.access_key(), emu.secret());
    let signed = signed_v2(
        "POST",
        "CreateBackup",
        &[("DBClusterId", CLUSTER), ("ClientToken", "dropped")],
        &c,
    );
    let sent = reqwest::Client::new()
        .post(format!("{}/", emu.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_encode(&signed))
        .send()
        .await;
    assert!(sent.is_err(), "expected a dropped connection, got {sent:?}");
    let backups = emu.backups();
    assert_eq!(backups[0]["client_token"], "dropped", "{backups}");
    let log = emu.requests();
    assert_eq!(log[0]["fault"], "drop_after_commit", "{log}");
}

/// Throttling is injected before the action runs and is logged as the fault.
#[tokio::test]
async fn throttling_fault() {
    let emu = Emulator::start(&["--cluster", CLUSTER, "--fault", "*:throttle_rate=1"]);
    assert_refused(&create_polardb(&emu, "t").await, 400, "Throttling.User");
    assert_eq!(emu.backups(), Value::Array(vec![]));
    assert_eq!(emu.requests()[0]["fault"], "Throttling.User");
}

/// State kept in a file survives a restart; SIGTERM ends the emulator cleanly.
#[tokio::test]
async fn persistence_survives_restart() {
    let dir = TempDir::new("emulator-state");
    let state = dir.path().join("state.json");
    let state = state.to_string_lossy().to_string();
    let emu = Emulator::start(&["--cluster", CLUSTER, "--state-file", &state]);
    let created = create_polardb(&emu, "persist").await;
    let id = created.1["BackupJobId"].clone();
    let status = emu.terminate();
    assert!(status.success(), "exit on SIGTERM: {status:?}");
    let again = Emulator::start(&["--cluster", CLUSTER, "--state-file", &state]);
    let backups = again.backups();
    assert_eq!(backups[0]["id"], id, "{backups}");
    // The token is remembered across the restart too.
    let repeat = create_polardb(&again, "persist").await;
    assert_eq!(repeat.1["BackupJobId"], id);
}

/// The crate's own client, signing V2 (form body) and V3 (query + headers), is accepted for both
/// products, and an API error reaches it with the code, status and RequestId.
#[tokio::test]
async fn crate_client_is_accepted_with_both_signatures() {
    use std::sync::Arc;
    use terraform_provider_alicloud::alicloud::credentials::StaticCredentials;
    use terraform_provider_alicloud::alicloud::{
        CallOptions, Client, ClientConfig, Product, SignatureVersion,
    };
    let emu = Emulator::start_default();
    for signature in [SignatureVersion::V2, SignatureVersion::V3] {
        for product in [Product::Polardb, Product::Polardbx] {
            let client = Client::new(ClientConfig {
                product,
                region: "cn-hangzhou".into(),
                endpoint: emu.url(),
                signature,
                credentials: Arc::new(StaticCredentials(creds(emu.access_key(), emu.secret()))),
                max_retry_timeout: Duration::from_secs(1),
                connect_timeout: Duration::from_secs(2),
                read_timeout: Duration::from_secs(5),
                insecure_skip_verify: false,
                user_agent: "emulator-test".into(),
            })
            .unwrap_or_else(|e| panic!("{e}"));
            let (action, params) = match product {
                Product::Polardb => (
                    "DescribeBackupTasks",
                    vec![("DBClusterId", CLUSTER.to_string())],
                ),
                Product::Polardbx => (
                    "DescribeBackupSetList",
                    vec![
                        ("RegionId", "cn-hangzhou".to_string()),
                        ("DBInstanceName", INSTANCE.to_string()),
                    ],
                ),
            };
            let got = client
                .call(action, &params, CallOptions { idempotent: true })
                .await;
            assert!(got.is_ok(), "{signature:?} {product:?}: {got:?}");
        }
    }
    let log = emu.requests();
    let schemes: Vec<&str> = log
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["signature"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(schemes, ["V2", "V2", "V3", "V3"], "{log}");
}

/// A V2 request may also come as a GET with every parameter in the query string, signed with
/// `GET` as the method, as the cloud accepts.
#[tokio::test]
async fn v2_get_with_query_string() {
    let emu = Emulator::start_default();
    let c = creds(emu.access_key(), emu.secret());
    let signed = signed_v2(
        "GET",
        "DescribeBackupTasks",
        &[("DBClusterId", CLUSTER)],
        &c,
    );
    let resp = reqwest::Client::new()
        .get(format!("{}/?{}", emu.url(), form_encode(&signed)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = resp.status().as_u16();
    let body: Value =
        serde_json::from_str(&resp.text().await.unwrap_or_default()).unwrap_or(Value::Null);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Items"]["BackupJob"], Value::Array(vec![]));
}
