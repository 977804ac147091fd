//! The API client's typed calls against the real `alicloud-emulator` binary, signed V2 and V3.
//! The client's fault handling (throttling with one ClientToken, error kinds, timeouts, dropped
//! answers, budget exhaustion) is tested once, by the unit tests in src/alicloud/client/tests.rs,
//! whose scripted server also covers what the emulator cannot produce on demand (Retry-After,
//! hung reads of idempotent calls, gateway 5xx, redirects); through the emulator and the real
//! `terraform`, tests/reliability.rs checks that faults never duplicate a backup.

// ApiError carries the whole service answer on purpose (see src/alicloud/mod.rs).
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use terraform_provider_alicloud::alicloud::client::{
    Client, ClientConfig, Product, SignatureVersion,
};
use terraform_provider_alicloud::alicloud::credentials::{Credentials, Secret, StaticCredentials};
use terraform_provider_alicloud::alicloud::{polardb, polardbx};
use terraform_provider_alicloud::timefmt;

use crate::util::emulator::{Emulator, CLUSTER, INSTANCE};

/// A client of `product` for `emu`, signing with `signature`.
fn client(emu: &Emulator, product: Product, signature: SignatureVersion) -> Client {
    let creds = Credentials {
        access_key_id: emu.access_key().to_string(),
        access_key_secret: Secret::new(emu.secret()),
        security_token: None,
    };
    Client::new(ClientConfig {
        product,
        region: "cn-hangzhou".into(),
        endpoint: match product {
            Product::Polardb => emu.polardb_endpoint(),
            Product::Polardbx => emu.polardbx_endpoint(),
        },
        signature,
        credentials: Arc::new(StaticCredentials(creds)),
        max_retry_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(5),
        insecure_skip_verify: false,
        user_agent: "terraform-provider-alicloud-tests".into(),
    })
    .unwrap_or_else(|e| panic!("client: {e}"))
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

/// The typed calls round-trip through the emulator, signed V2 and V3.
#[tokio::test]
async fn typed_calls_round_trip() {
    let emu = Emulator::start_default_in("documented");
    for sig in [SignatureVersion::V2, SignatureVersion::V3] {
        emu.reset();
        let c = client(&emu, Product::Polardb, sig);
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

        let x = client(&emu, Product::Polardbx, sig);
        let id = polardbx::create_backup(&x, "cn-hangzhou", INSTANCE, "0")
            .await
            .unwrap_or_else(|e| panic!("{sig:?}: {e:?}"));
        let set = polardbx::describe_backup_set(&x, "cn-hangzhou", INSTANCE, &id)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(set.map(|s| s.backup_set_id), Some(id.clone()));
        let now = timefmt::unix_millis(SystemTime::now());
        let page = polardbx::describe_backup_set_page(
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
        let list = page.sets;
        assert!(list.iter().any(|s| s.backup_set_id == id), "{list:?}");
    }
}
