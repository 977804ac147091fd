//! The emulator over plain HTTP, with requests signed by the crate's own signer: refusals with
//! the cloud's codes and statuses, PolarDB and PolarDB-X behaviour, faults and persistence, and
//! each strict behaviour of the dialects on its own.
//!
//! The helpers send each product's requests to its own endpoint, and GET-only actions as GET (as
//! the official SDKs do), so the tests that do not pin a dialect pass under `EMULATOR_DIALECT`
//! `documented` and `strict` alike.

use std::time::{Duration, SystemTime};

use serde_json::Value;
use terraform_provider_alicloud::alicloud::client::{form_encode, new_nonce};
use terraform_provider_alicloud::alicloud::credentials::{Credentials, Secret};
use terraform_provider_alicloud::alicloud::sign;

use crate::util::emulator::{Emulator, CLUSTER, DEFAULT_ARGS, INSTANCE};
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

/// The endpoint of the product `version` belongs to.
fn endpoint_for(emu: &Emulator, version: &str) -> String {
    if version == POLARDBX {
        emu.polardbx_endpoint()
    } else {
        emu.polardb_endpoint()
    }
}

/// The method the official SDK uses for `action` (GET only for DescribeBackupSetList).
fn method_for(action: &str) -> &'static str {
    if action == "DescribeBackupSetList" {
        "GET"
    } else {
        "POST"
    }
}

/// Sends V2-signed parameters to `endpoint`: a GET carries them in the query string, a POST in a
/// form body. Returns the status and the body as text.
async fn send_raw(endpoint: &str, method: &str, signed: &[(String, String)]) -> (u16, String) {
    let client = reqwest::Client::new();
    let rb = if method == "GET" {
        client.get(format!("{endpoint}/?{}", form_encode(signed)))
    } else {
        client
            .post(format!("{endpoint}/"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_encode(signed))
    };
    let resp = rb
        .send()
        .await
        .unwrap_or_else(|e| panic!("request failed: {e}"));
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// [`send_raw`], with the body parsed as JSON.
async fn send(endpoint: &str, method: &str, signed: &[(String, String)]) -> (u16, Value) {
    let (status, text) = send_raw(endpoint, method, signed).await;
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, json)
}

/// V2-signs `action` of `version` for `method` with the emulator's key, now.
fn sign_for(
    emu: &Emulator,
    method: &str,
    version: &str,
    action: &str,
    params: &[(&str, &str)],
) -> Vec<(String, String)> {
    let c = creds(emu.access_key(), emu.secret());
    sign::sign_v2(
        method,
        action,
        version,
        &pairs(params),
        &c,
        SystemTime::now(),
        &nonce(),
    )
}

/// A V2-signed call with the emulator's key, the given clock and nonce, sent to the product's
/// endpoint with the SDK's method.
async fn v2_at(
    emu: &Emulator,
    version: &str,
    action: &str,
    params: &[(&str, &str)],
    at: SystemTime,
    nonce: &str,
) -> (u16, Value) {
    let c = creds(emu.access_key(), emu.secret());
    let method = method_for(action);
    let signed = sign::sign_v2(method, action, version, &pairs(params), &c, at, nonce);
    send(&endpoint_for(emu, version), method, &signed).await
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
    let emu = Emulator::start_in("documented", &DEFAULT_ARGS[..]);
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
    let emu = Emulator::start_in("documented", &DEFAULT_ARGS[..]);
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
    let emu = Emulator::start_in(
        "documented",
        &["--cluster", CLUSTER, "--state-file", &state],
    );
    let created = create_polardb(&emu, "persist").await;
    let id = created.1["BackupJobId"].clone();
    let status = emu.terminate();
    assert!(status.success(), "exit on SIGTERM: {status:?}");
    let again = Emulator::start_in(
        "documented",
        &["--cluster", CLUSTER, "--state-file", &state],
    );
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
    // Both products through one endpoint, all by POST: the documented dialect's leniency.
    let emu = Emulator::start_in("documented", &DEFAULT_ARGS[..]);
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
                .call(
                    action,
                    &params,
                    CallOptions {
                        idempotent: true,
                        ..CallOptions::default()
                    },
                )
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

// ---- The strict behaviours, each on its own ----

/// Polls until `f` holds or ten seconds pass (backups here take 300 ms).
async fn eventually(what: &str, mut f: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within 10 s");
}

async fn describe_backups(emu: &Emulator, extra: &[(&str, &str)]) -> (u16, Value) {
    let (start, end) = window();
    let mut q = vec![
        ("DBClusterId", CLUSTER),
        ("StartTime", start.as_str()),
        ("EndTime", end.as_str()),
    ];
    q.extend_from_slice(extra);
    v2(emu, POLARDB, "DescribeBackups", &q).await
}

async fn tasks(emu: &Emulator) -> Value {
    let got = v2(
        emu,
        POLARDB,
        "DescribeBackupTasks",
        &[("DBClusterId", CLUSTER)],
    )
    .await;
    assert_eq!(got.0, 200, "{}", got.1);
    got.1["Items"]["BackupJob"].clone()
}

/// `job-ids`: CreateBackup's BackupJobId is not a BackupId: DescribeBackups and DeleteBackup do
/// not know it, DescribeBackupTasks does, and the finished backup has an id of its own.
#[tokio::test]
async fn strict_job_ids() {
    let mut args = DEFAULT_ARGS.to_vec();
    args.extend(["--strict", "job-ids"]);
    let emu = Emulator::start(&args);
    let created = create_polardb(&emu, "job-1").await;
    let job = created.1["BackupJobId"].as_str().unwrap_or("").to_string();
    assert!(!job.is_empty(), "{}", created.1);
    let listed = tasks(&emu).await;
    assert_eq!(listed[0]["BackupJobId"], job.as_str(), "{listed}");
    let mut backup_id = String::new();
    eventually("the backup finishes", async || {
        let got = describe_backups(&emu, &[]).await;
        let b = &got.1["Items"]["Backup"][0];
        backup_id = b["BackupId"].as_str().unwrap_or("").to_string();
        b["BackupStatus"] == "Success"
    })
    .await;
    assert_ne!(backup_id, job, "the backup's id is not the job's");
    let by_job = describe_backups(&emu, &[("BackupId", &job)]).await;
    assert_eq!(by_job.1["TotalRecordCount"], "0", "{}", by_job.1);
    let del = [("DBClusterId", CLUSTER), ("BackupId", job.as_str())];
    assert_refused(
        &v2(&emu, POLARDB, "DeleteBackup", &del).await,
        404,
        "InvalidBackupId.NotFound",
    );
    let admin = emu.backups();
    assert_eq!(admin[0]["id"], backup_id.as_str(), "{admin}");
    assert_eq!(admin[0]["job_id"], job.as_str(), "{admin}");
    // The token replays the job id, not the backup id.
    let again = create_polardb(&emu, "job-1").await;
    assert_eq!(again.1["BackupJobId"], job.as_str());
    let del = [("DBClusterId", CLUSTER), ("BackupId", backup_id.as_str())];
    assert_eq!(v2(&emu, POLARDB, "DeleteBackup", &del).await.0, 200);
}

/// `finished-only`: a running backup is not in DescribeBackups; once finished it is.
#[tokio::test]
async fn strict_finished_only() {
    let mut args = DEFAULT_ARGS.to_vec();
    args.extend(["--strict", "finished-only"]);
    let emu = Emulator::start(&args);
    emu.settings(serde_json::json!({ "backup_duration_ms": 1500 }));
    let created = create_polardb(&emu, "fin-1").await;
    assert_eq!(created.0, 200, "{}", created.1);
    let running = describe_backups(&emu, &[]).await;
    assert_eq!(running.1["TotalRecordCount"], "0", "{}", running.1);
    assert_eq!(emu.backups()[0]["status"], "Running");
    eventually("the finished backup is listed", async || {
        let got = describe_backups(&emu, &[]).await;
        got.1["Items"]["Backup"][0]["BackupStatus"] == "Success"
    })
    .await;
}

/// `tasks-vanish`: DescribeBackupTasks lists the job while it runs and not once it finished.
#[tokio::test]
async fn strict_tasks_vanish() {
    let mut args = DEFAULT_ARGS.to_vec();
    args.extend(["--strict", "tasks-vanish"]);
    let emu = Emulator::start(&args);
    emu.settings(serde_json::json!({ "backup_duration_ms": 1500 }));
    let created = create_polardb(&emu, "vanish-1").await;
    let job = created.1["BackupJobId"].clone();
    assert_eq!(tasks(&emu).await[0]["BackupJobId"], job);
    eventually("the job leaves the task list", async || {
        tasks(&emu).await == Value::Array(vec![])
    })
    .await;
    assert_eq!(emu.backups()[0]["status"], "Success");
}

/// `get-only`: DescribeBackupSetList by POST is refused with UnsupportedHTTPMethod (400) before
/// it runs; by GET it answers; actions the SDK sends by POST still take POST.
#[tokio::test]
async fn strict_get_only() {
    let mut args = DEFAULT_ARGS.to_vec();
    args.extend(["--strict", "get-only"]);
    let emu = Emulator::start(&args);
    let list = [("RegionId", "cn-hangzhou"), ("DBInstanceName", INSTANCE)];
    let ep = emu.polardbx_endpoint();
    let post = sign_for(&emu, "POST", POLARDBX, "DescribeBackupSetList", &list);
    assert_refused(
        &send(&ep, "POST", &post).await,
        400,
        "UnsupportedHTTPMethod",
    );
    let get = sign_for(&emu, "GET", POLARDBX, "DescribeBackupSetList", &list);
    let got = send(&ep, "GET", &get).await;
    assert_eq!(
        (got.0, &got.1["Success"]),
        (200, &Value::Bool(true)),
        "{}",
        got.1
    );
    let one = [
        ("RegionId", "cn-hangzhou"),
        ("DBInstanceName", INSTANCE),
        ("BackupSetId", "1"),
    ];
    let post = sign_for(&emu, "POST", POLARDBX, "DescribeBackupSet", &one);
    assert_eq!(send(&ep, "POST", &post).await.0, 200);
}

/// `success-false`: a PolarDB-X error is HTTP 200 with `Success: false`, a Message and no Code;
/// gateway errors (a bad signature) keep their code and status.
#[tokio::test]
async fn strict_success_false() {
    let mut args = DEFAULT_ARGS.to_vec();
    args.extend(["--strict", "success-false"]);
    let emu = Emulator::start(&args);
    let got = v2(
        &emu,
        POLARDBX,
        "DescribeBackupSetList",
        &[
            ("RegionId", "cn-hangzhou"),
            ("DBInstanceName", "pxc-nosuch"),
        ],
    )
    .await;
    assert_eq!(got.0, 200, "{}", got.1);
    assert_eq!(got.1["Success"], false, "{}", got.1);
    assert!(got.1.get("Code").is_none(), "no Code: {}", got.1);
    assert!(
        got.1["Message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        got.1
    );
    assert_eq!(got.1["RequestId"].as_str().map(str::len), Some(36));
    let c = creds(emu.access_key(), "wrong");
    let signed = sign::sign_v2(
        "GET",
        "DescribeBackupSetList",
        POLARDBX,
        &pairs(&[("RegionId", "cn-hangzhou"), ("DBInstanceName", INSTANCE)]),
        &c,
        SystemTime::now(),
        &nonce(),
    );
    let got = send(&emu.polardbx_endpoint(), "GET", &signed).await;
    assert_refused(&got, 400, "SignatureDoesNotMatch");
    // PolarDB's errors keep their shape.
    let got = v2(
        &emu,
        POLARDB,
        "CreateBackup",
        &[("DBClusterId", "pc-nosuch")],
    )
    .await;
    assert_refused(&got, 404, "InvalidDBCluster.NotFound");
}

/// `gateway-502`: the 1st and 3rd PolarDB-X creates of an instance are committed and answered
/// with a non-JSON 502; the 2nd is answered; another instance counts on its own.
#[tokio::test]
async fn strict_gateway_502() {
    let mut args = DEFAULT_ARGS.to_vec();
    args.extend(["--instance", "pxc-other", "--strict", "gateway-502"]);
    let emu = Emulator::start(&args);
    let create = async |instance: &str| {
        let p = [("RegionId", "cn-hangzhou"), ("DBInstanceName", instance)];
        let signed = sign_for(&emu, "POST", POLARDBX, "CreateBackup", &p);
        send_raw(&emu.polardbx_endpoint(), "POST", &signed).await
    };
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(create(INSTANCE).await);
    }
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert_eq!(statuses, [502, 200, 502], "{answers:?}");
    assert!(
        serde_json::from_str::<Value>(&answers[0].1).is_err(),
        "a 502 body is not JSON"
    );
    assert!(answers[0].1.contains("502 Bad Gateway"), "{}", answers[0].1);
    assert_eq!(
        create("pxc-other").await.0,
        502,
        "each instance counts on its own"
    );
    let backups = emu.backups();
    assert_eq!(
        backups.as_array().map(Vec::len),
        Some(4),
        "every create was committed: {backups}"
    );
    let log = emu.requests();
    assert_eq!(log[0]["http_status"], 502, "{log}");
    assert_eq!(log[0]["fault"], "gateway_502", "{log}");
}

/// `page-cap`: pages hold at most 5 whatever was asked, with the true total (PolarDB) and an
/// empty page after the last (PolarDB-X, whose answer has no total).
#[tokio::test]
async fn strict_page_cap() {
    let mut args = DEFAULT_ARGS.to_vec();
    args.extend(["--strict", "page-cap", "--backup-duration", "10ms"]);
    let emu = Emulator::start(&args);
    // Failed backups do not count against PolarDB's quota of 3, so 7 fit in one cluster.
    emu.settings(serde_json::json!({ "fail_next_backups": 4 }));
    for i in 0..7 {
        let got = create_polardb(&emu, &format!("page-{i}")).await;
        assert_eq!(got.0, 200, "{}", got.1);
    }
    for _ in 0..7 {
        let x = v2(
            &emu,
            POLARDBX,
            "CreateBackup",
            &[("RegionId", "cn-hangzhou"), ("DBInstanceName", INSTANCE)],
        )
        .await;
        assert_eq!(x.0, 200, "{}", x.1);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let first = describe_backups(&emu, &[("PageSize", "30"), ("PageNumber", "1")]).await;
    assert_eq!(first.1["Items"]["Backup"].as_array().map(Vec::len), Some(5));
    assert_eq!(first.1["TotalRecordCount"], "7", "{}", first.1);
    assert_eq!(first.1["PageRecordCount"], "5", "{}", first.1);
    let second = describe_backups(&emu, &[("PageSize", "30"), ("PageNumber", "2")]).await;
    assert_eq!(
        second.1["Items"]["Backup"].as_array().map(Vec::len),
        Some(2)
    );
    let page = async |n: &str| {
        let got = v2(
            &emu,
            POLARDBX,
            "DescribeBackupSetList",
            &[
                ("RegionId", "cn-hangzhou"),
                ("DBInstanceName", INSTANCE),
                ("PageSize", "100"),
                ("PageNumber", n),
            ],
        )
        .await;
        got.1["Data"].as_array().map(Vec::len)
    };
    assert_eq!(
        (page("1").await, page("2").await, page("3").await),
        (Some(5), Some(2), Some(0))
    );
}

/// `host-product`: each product answers only on its own endpoint; the other product's request
/// there is InvalidVersion (400), before any signature check.
#[tokio::test]
async fn strict_host_product() {
    let mut args = DEFAULT_ARGS.to_vec();
    args.extend(["--strict", "host-product"]);
    let emu = Emulator::start(&args);
    assert_ne!(emu.polardb_endpoint(), emu.polardbx_endpoint());
    let p = [("DBClusterId", CLUSTER)];
    let signed = sign_for(&emu, "POST", POLARDB, "DescribeBackupTasks", &p);
    assert_refused(
        &send(&emu.polardbx_endpoint(), "POST", &signed).await,
        400,
        "InvalidVersion",
    );
    let signed = sign_for(&emu, "POST", POLARDB, "DescribeBackupTasks", &p);
    assert_eq!(send(&emu.polardb_endpoint(), "POST", &signed).await.0, 200);
    let x = [("RegionId", "cn-hangzhou"), ("DBInstanceName", INSTANCE)];
    let signed = sign_for(&emu, "GET", POLARDBX, "DescribeBackupSetList", &x);
    assert_refused(
        &send(&emu.polardb_endpoint(), "GET", &signed).await,
        400,
        "InvalidVersion",
    );
    let signed = sign_for(&emu, "GET", POLARDBX, "DescribeBackupSetList", &x);
    assert_eq!(send(&emu.polardbx_endpoint(), "GET", &signed).await.0, 200);
}

/// `region-check`: a RegionId other than the cluster's or instance's region finds nothing there,
/// with each product's not-found answer; the right region works, also one set by the admin API.
#[tokio::test]
async fn strict_region_check() {
    let mut args = DEFAULT_ARGS.to_vec();
    args.extend(["--strict", "region-check", "--region", "cn-shanghai"]);
    let emu = Emulator::start(&args);
    let x = |region| [("RegionId", region), ("DBInstanceName", INSTANCE)];
    assert_refused(
        &v2(&emu, POLARDBX, "CreateBackup", &x("cn-hangzhou")).await,
        404,
        "InvalidDBInstanceName.NotFound",
    );
    assert_eq!(emu.backups(), Value::Array(vec![]));
    let ok = v2(&emu, POLARDBX, "CreateBackup", &x("cn-shanghai")).await;
    assert_eq!(ok.0, 200, "{}", ok.1);
    let set = ok.1["Data"]["BackupSetId"]
        .as_str()
        .unwrap_or("")
        .to_string();
    // DescribeBackupSet's RegionId is optional (SDK model): checked only when sent.
    let one = |region: &'static str| {
        let mut p = vec![("DBInstanceName", INSTANCE), ("BackupSetId", set.as_str())];
        if !region.is_empty() {
            p.push(("RegionId", region));
        }
        p
    };
    assert_eq!(
        v2(&emu, POLARDBX, "DescribeBackupSet", &one("")).await.0,
        200
    );
    assert_refused(
        &v2(&emu, POLARDBX, "DescribeBackupSet", &one("cn-hangzhou")).await,
        404,
        "InvalidDBInstanceName.NotFound",
    );
    let p = |region| [("RegionId", region), ("DBClusterId", CLUSTER)];
    assert_refused(
        &v2(&emu, POLARDB, "CreateBackup", &p("cn-beijing")).await,
        404,
        "InvalidDBCluster.NotFound",
    );
    assert_eq!(
        v2(&emu, POLARDB, "CreateBackup", &p("cn-shanghai")).await.0,
        200
    );
    let moved = serde_json::json!({ "id": CLUSTER, "region": "cn-beijing" });
    assert_eq!(emu.admin("POST", "clusters", Some(&moved)).0, 200);
    assert_eq!(
        v2(&emu, POLARDB, "DescribeBackupTasks", &p("cn-beijing"))
            .await
            .0,
        200
    );
}

/// `--dialect strict` switches every behaviour on at once (here: job ids and the host check).
#[tokio::test]
async fn strict_dialect_switches_everything_on() {
    let emu = Emulator::start_in("strict", &DEFAULT_ARGS[..]);
    let settings = emu.admin("GET", "settings", None).1;
    assert_eq!(settings["dialect"], "strict", "{settings}");
    let created = create_polardb(&emu, "all-1").await;
    assert_eq!(created.0, 200, "{}", created.1);
    let admin = emu.backups();
    assert_ne!(admin[0]["id"], admin[0]["job_id"], "{admin}");
    let signed = sign_for(
        &emu,
        "POST",
        POLARDB,
        "DescribeBackupTasks",
        &[("DBClusterId", CLUSTER)],
    );
    assert_refused(
        &send(&emu.polardbx_endpoint(), "POST", &signed).await,
        400,
        "InvalidVersion",
    );
}

// ---- Account-wide flow control ----

/// A rate limit is shared by every client: past the bucket, any client's request to that action
/// gets Throttling.User (400, the cloud's message), other actions pass, the stats count each
/// refusal, and lifting the limit at run time lets requests through again.
#[tokio::test]
async fn flow_control_is_account_wide_per_action() {
    let mut args = DEFAULT_ARGS.to_vec();
    // One request per 100 s: the bucket holds one, and refills nothing during the test.
    args.extend(["--rate-limit", "DescribeBackupTasks=0.01"]);
    let emu = Emulator::start(&args);
    let p = [("DBClusterId", CLUSTER)];
    let first = v2(&emu, POLARDB, "DescribeBackupTasks", &p).await;
    assert_eq!(first.0, 200, "{}", first.1);
    for _ in 0..3 {
        // A fresh HTTP client each time: the limit is the account's, not a connection's.
        let got = v2(&emu, POLARDB, "DescribeBackupTasks", &p).await;
        assert_refused(&got, 400, "Throttling.User");
        assert_eq!(
            got.1["Message"],
            "Request was denied due to user flow control."
        );
    }
    let other = v2(&emu, POLARDB, "CreateBackup", &p).await;
    assert_eq!(other.0, 200, "another action has no limit: {}", other.1);
    let stats = emu.stats();
    let tasks = &stats["actions"]["DescribeBackupTasks"];
    assert_eq!(
        (
            &tasks["requests"],
            &tasks["throttled"],
            &tasks["flow_controlled"]
        ),
        (&4.into(), &3.into(), &3.into()),
        "{stats}"
    );
    assert_eq!(stats["actions"]["CreateBackup"]["throttled"], 0, "{stats}");
    assert_eq!(emu.requests()[1]["fault"], "flow_control");
    emu.settings(serde_json::json!({ "rate_limit": {} }));
    let lifted = v2(&emu, POLARDB, "DescribeBackupTasks", &p).await;
    assert_eq!(lifted.0, 200, "{}", lifted.1);
}

/// `--rate-limit N` applies to every action; the bucket refills at N per second.
#[tokio::test]
async fn flow_control_refills_at_the_rate() {
    let mut args = DEFAULT_ARGS.to_vec();
    args.extend(["--rate-limit", "2"]);
    let emu = Emulator::start(&args);
    let p = [("DBClusterId", CLUSTER)];
    let mut codes = Vec::new();
    // 20 requests would need 10 s to pass unthrottled: far more than they take here.
    for _ in 0..20 {
        codes.push(v2(&emu, POLARDB, "DescribeBackupTasks", &p).await.0);
    }
    assert!(
        codes.contains(&400) && codes[0] == 200,
        "a burst past 2 per second is throttled: {codes:?}"
    );
    // Generous: one token takes 0.5 s to come back.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let again = v2(&emu, POLARDB, "DescribeBackupTasks", &p).await;
    assert_eq!(again.0, 200, "{}", again.1);
}
