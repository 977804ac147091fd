//! The API client and typed calls against the real `alicloud-emulator` binary: retries under
//! throttling with one ClientToken, error mapping, timeouts, budget exhaustion, V3 signing.

// ApiError carries the whole service answer on purpose (see src/alicloud/mod.rs).
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use terraform_provider_alicloud::alicloud::client::{
    Client, ClientConfig, Product, SignatureVersion,
};
use terraform_provider_alicloud::alicloud::credentials::{Credentials, Secret, StaticCredentials};
use terraform_provider_alicloud::alicloud::{polardb, polardbx, ErrorKind};
use terraform_provider_alicloud::timefmt;

use crate::util::emulator::{Emulator, CLUSTER, INSTANCE};

struct Opts {
    product: Product,
    signature: SignatureVersion,
    secret: Option<&'static str>,
    budget: Duration,
    read_timeout: Duration,
}

impl Default for Opts {
    fn default() -> Opts {
        Opts {
            product: Product::Polardb,
            signature: SignatureVersion::V2,
            secret: None,
            budget: Duration::from_secs(10),
            read_timeout: Duration::from_secs(5),
        }
    }
}

/// A client for `emu` with short backoffs so retry tests stay fast.
fn client(emu: &Emulator, o: Opts) -> Client {
    let creds = Credentials {
        access_key_id: emu.access_key().to_string(),
        access_key_secret: Secret::new(o.secret.unwrap_or(emu.secret())),
        security_token: None,
    };
    Client::new(ClientConfig {
        product: o.product,
        region: "cn-hangzhou".into(),
        endpoint: match o.product {
            Product::Polardb => emu.polardb_endpoint(),
            Product::Polardbx => emu.polardbx_endpoint(),
        },
        signature: o.signature,
        credentials: Arc::new(StaticCredentials(creds)),
        max_retry_timeout: o.budget,
        connect_timeout: Duration::from_secs(2),
        read_timeout: o.read_timeout,
        insecure_skip_verify: false,
        user_agent: "terraform-provider-alicloud-tests".into(),
    })
    .unwrap_or_else(|e| panic!("client: {e}"))
    .with_backoff(Duration::from_millis(50), Duration::from_millis(200))
}

fn log_for(emu: &Emulator, action: &str) -> Vec<Value> {
    emu.requests()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e["action"] == action)
        .collect()
}

fn window() -> polardb::DescribeBackups {
    let now = timefmt::unix_secs(SystemTime::now());
    let at = |s| timefmt::iso8601_minutes(timefmt::from_unix_secs(s));
    polardb::DescribeBackups {
        db_cluster_id: CLUSTER.into(),
        start_time: at(now - 3600),
        end_time: at(now + 3600),
        page_number: 1,
        page_size: 30,
        ..Default::default()
    }
}

/// Throttled CreateBackup attempts are retried with the same ClientToken and one backup results.
#[tokio::test]
async fn throttling_retried_with_one_client_token() {
    let emu = Emulator::start_default_in("documented");
    emu.set_faults(json!({ "CreateBackup": { "throttle_rate": 1.0 } }));
    let c = client(&emu, Opts::default());
    let call =
        tokio::spawn(async move { polardb::create_backup(&c, CLUSTER, "token-retry").await });
    tokio::time::sleep(Duration::from_millis(600)).await;
    emu.set_faults(json!({}));
    let job = call
        .await
        .unwrap_or_else(|e| panic!("join: {e}"))
        .unwrap_or_else(|e| panic!("create: {e:?}"));
    let attempts = log_for(&emu, "CreateBackup");
    assert!(attempts.len() >= 2, "throttled then retried: {attempts:?}");
    assert!(attempts[0]["fault"] == "Throttling.User", "{attempts:?}");
    for a in &attempts {
        assert_eq!(a["params"]["ClientToken"], "token-retry", "{a}");
    }
    let nonces: std::collections::BTreeSet<String> = attempts
        .iter()
        .map(|a| {
            a["params"]["SignatureNonce"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(nonces.len(), attempts.len(), "a fresh nonce per attempt");
    let backups = emu.backups();
    assert_eq!(backups.as_array().map(Vec::len), Some(1), "{backups}");
    assert_eq!(backups[0]["id"], job.as_str());
}

/// Service errors map to kinds, are not retried, and carry the RequestId.
#[tokio::test]
async fn errors_map_to_kinds() {
    let emu = Emulator::start_default();
    let c = client(&emu, Opts::default());
    let e = polardb::create_backup(&c, "pc-doesnotexist", "t-nf")
        .await
        .expect_err("unknown cluster");
    // The API reference documents InvalidDBClusterId.NotFound; any *.NotFound maps the same way.
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
    assert!(e.code.ends_with(".NotFound"), "{e:?}");
    assert_eq!(e.attempts, 1);
    assert!(
        e.request_id.as_deref().is_some_and(|r| r.len() == 36),
        "{e:?}"
    );

    for i in 0..3 {
        polardb::create_backup(&c, CLUSTER, &format!("q-{i}"))
            .await
            .unwrap_or_else(|e| panic!("backup {i}: {e:?}"));
    }
    let e = polardb::create_backup(&c, CLUSTER, "q-3")
        .await
        .expect_err("quota");
    assert_eq!(
        (e.kind, e.code.as_str()),
        (ErrorKind::Quota, "BackupTimesExceeded")
    );
    assert_eq!(e.http_status, Some(403));

    let bad = client(
        &emu,
        Opts {
            secret: Some("wrong-secret"),
            ..Opts::default()
        },
    );
    let e = polardb::describe_backups(&bad, &window())
        .await
        .expect_err("bad signature");
    assert_eq!(
        (e.kind, e.code.as_str()),
        (ErrorKind::Auth, "SignatureDoesNotMatch")
    );

    let x = client(
        &emu,
        Opts {
            product: Product::Polardbx,
            ..Opts::default()
        },
    );
    let e = polardbx::create_backup(&x, "cn-hangzhou", "pxc-doesnotexist", "0")
        .await
        .expect_err("unknown instance");
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
}

/// A read timeout is Ambiguous and a non-idempotent call (PolarDB-X CreateBackup) is not repeated.
#[tokio::test]
async fn read_timeout_is_ambiguous() {
    let emu = Emulator::start_default();
    emu.set_faults(json!({ "CreateBackup": { "latency_ms_min": 1500, "latency_ms_max": 1500 } }));
    let x = client(
        &emu,
        Opts {
            product: Product::Polardbx,
            read_timeout: Duration::from_millis(300),
            ..Opts::default()
        },
    );
    let e = polardbx::create_backup(&x, "cn-hangzhou", INSTANCE, "0")
        .await
        .expect_err("times out");
    assert_eq!(e.kind, ErrorKind::Ambiguous, "{e:?}");
    assert_eq!(e.attempts, 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The emulator may not log a request whose client went away, but never logs a second one.
    assert!(log_for(&emu, "CreateBackup").len() <= 1, "not retried");
}

/// A dropped answer after the commit is Ambiguous, and the backup exists for the caller to adopt.
#[tokio::test]
async fn dropped_answer_is_ambiguous() {
    let emu = Emulator::start_default();
    emu.set_faults(json!({ "CreateBackup": { "drop_after_commit_rate": 1.0 } }));
    let x = client(
        &emu,
        Opts {
            product: Product::Polardbx,
            ..Opts::default()
        },
    );
    let e = polardbx::create_backup(&x, "cn-hangzhou", INSTANCE, "0")
        .await
        .expect_err("dropped");
    assert_eq!(e.kind, ErrorKind::Ambiguous, "{e:?}");
    assert_eq!(e.attempts, 1);
    assert_eq!(log_for(&emu, "CreateBackup").len(), 1, "not retried");
    assert_eq!(emu.backups().as_array().map(Vec::len), Some(1));
}

/// Persistent server errors exhaust the budget; the error holds the last attempt's RequestId.
#[tokio::test]
async fn budget_exhaustion() {
    let emu = Emulator::start_default();
    emu.set_faults(json!({ "DescribeBackups": { "server_error_rate": 1.0 } }));
    let c = client(
        &emu,
        Opts {
            budget: Duration::from_millis(700),
            ..Opts::default()
        },
    );
    let e = polardb::describe_backups(&c, &window())
        .await
        .expect_err("exhausted");
    assert!(e.budget_exhausted, "{e:?}");
    assert_eq!(e.kind, ErrorKind::ServerError);
    let log = log_for(&emu, "DescribeBackups");
    assert!(log.len() >= 2, "{log:?}");
    assert_eq!(e.attempts as usize, log.len());
    assert_eq!(
        e.request_id.as_deref(),
        log.last().and_then(|l| l["request_id"].as_str())
    );
}

/// The typed calls round-trip through the emulator, signed V2 and V3.
#[tokio::test]
async fn typed_calls_round_trip() {
    let emu = Emulator::start_default_in("documented");
    for sig in [SignatureVersion::V2, SignatureVersion::V3] {
        emu.reset();
        let c = client(
            &emu,
            Opts {
                signature: sig,
                ..Opts::default()
            },
        );
        let job = polardb::create_backup(&c, CLUSTER, "rt-1")
            .await
            .unwrap_or_else(|e| panic!("{sig:?}: {e:?}"));
        assert!(!job.is_empty());
        let tasks = polardb::describe_backup_tasks(&c, CLUSTER, None)
            .await
            .unwrap_or_else(|e| panic!("{sig:?}: {e:?}"));
        assert!(tasks.iter().any(|t| t.backup_job_id == job), "{tasks:?}");
        tokio::time::sleep(Duration::from_millis(400)).await;
        let page = polardb::describe_backups(&c, &window())
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let backup = page
            .items
            .iter()
            .find(|b| b.backup_id == job)
            .cloned()
            .unwrap_or_default();
        assert_eq!(backup.backup_status, "Success", "{page:?}");
        polardb::delete_backup(&c, CLUSTER, &job)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));

        let x = client(
            &emu,
            Opts {
                product: Product::Polardbx,
                signature: sig,
                ..Opts::default()
            },
        );
        let id = polardbx::create_backup(&x, "cn-hangzhou", INSTANCE, "0")
            .await
            .unwrap_or_else(|e| panic!("{sig:?}: {e:?}"));
        let set = polardbx::describe_backup_set(&x, "cn-hangzhou", INSTANCE, &id)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(set.map(|s| s.backup_set_id), Some(id.clone()));
        let now = timefmt::unix_millis(SystemTime::now());
        let list = polardbx::describe_backup_set_list(
            &x,
            "cn-hangzhou",
            INSTANCE,
            now - 60_000,
            now + 60_000,
            1,
            30,
        )
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(list.iter().any(|s| s.backup_set_id == id), "{list:?}");
    }
}
