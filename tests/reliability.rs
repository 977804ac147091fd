//! Reliability through the real `terraform` against the emulator: a bad-input corpus refused
//! before any call, lost answers that never duplicate a backup, throttling past the retry budget,
//! and Ctrl-C mid-wait. The soak under every fault at once: see `soak`; secrets: see `secrets`.

use crate::util::config::{failed_apply, provider_block_with, terraform, POLARDB_ONE};
use crate::util::emulator::{Emulator, CLUSTER, INSTANCE};
use crate::util::in_process::in_process;
use crate::util::process::signal;
use crate::util::state::{calls, emulator_backups, polls, resources};
use crate::util::terraform::Terraform;
use crate::util::{stderr, wait_until};

/// One wrong configuration of the bad-input corpus: a short name, the provider block's body
/// (`{url}` is replaced by the emulator's URL), the rest of the configuration, and a text the
/// error must contain (the attribute's name, or the diagnostic's summary).
struct BadInput {
    name: &'static str,
    provider: &'static str,
    config: &'static str,
    expect: &'static str,
}

const GOOD_PROVIDER: &str = "region = \"cn-hangzhou\"\naccess_key = \"LTAIEmulatorKey\"\nsecret_key = \"EmulatorSecret\"\nendpoints {\n polardb = \"{url}\"\n polardbx = \"{urlx}\"\n}";
const GOOD_RESOURCE: &str =
    "resource \"alicloud_polardb_backup\" \"b\" { db_cluster_id = \"pc-emulator0001\" }";

fn bad(name: &'static str, config: &'static str, expect: &'static str) -> BadInput {
    BadInput {
        name,
        provider: GOOD_PROVIDER,
        config,
        expect,
    }
}

fn bad_provider(name: &'static str, provider: &'static str, expect: &'static str) -> BadInput {
    BadInput {
        name,
        provider,
        config: GOOD_RESOURCE,
        expect,
    }
}

/// The bad-input corpus: every wrong configuration fails at plan time with an error that names
/// the attribute (or the missing piece), nothing panics, and the API is never called.
#[test]
fn bad_input_is_refused_before_any_call() {
    let emu = Emulator::start_default();
    let cases = [
        bad("pxc-as-cluster", "resource \"alicloud_polardb_backup\" \"b\" { db_cluster_id = \"pxc-emulator0001\" }", "db_cluster_id"),
        bad("rds-id", "resource \"alicloud_polardb_backup\" \"b\" { db_cluster_id = \"rm-abc\" }", "db_cluster_id"),
        bad("empty-cluster", "resource \"alicloud_polardb_backup\" \"b\" { db_cluster_id = \"\" }", "db_cluster_id"),
        bad("upper-cluster", "resource \"alicloud_polardb_backup\" \"b\" { db_cluster_id = \"PC-ABC\" }", "db_cluster_id"),
        bad("policy", "resource \"alicloud_polardb_backup\" \"b\" {\n db_cluster_id = \"pc-emulator0001\"\n deletion_policy = \"Keep\"\n}", "deletion_policy"),
        bad("create-words", "resource \"alicloud_polardb_backup\" \"b\" {\n db_cluster_id = \"pc-emulator0001\"\n timeouts {\n create = \"2 hours\"\n }\n}", "timeouts.create"),
        bad("create-days", "resource \"alicloud_polardb_backup\" \"b\" {\n db_cluster_id = \"pc-emulator0001\"\n timeouts {\n create = \"2d\"\n }\n}", "timeouts.create"),
        bad("delete-zero", "resource \"alicloud_polardb_backup\" \"b\" {\n db_cluster_id = \"pc-emulator0001\"\n timeouts {\n delete = \"0s\"\n }\n}", "timeouts.delete"),
        bad("token-long", "resource \"alicloud_polardb_backup\" \"b\" {\n db_cluster_id = \"pc-emulator0001\"\n client_token = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n}", "client_token"),
        bad("backup-type", "resource \"alicloud_polardbx_backup\" \"b\" {\n db_instance_name = \"pxc-emulator0001\"\n backup_type = \"1\"\n}", "backup_type"),
        bad("cluster-as-instance", "resource \"alicloud_polardbx_backup\" \"b\" { db_instance_name = \"pc-emulator0001\" }", "db_instance_name"),
        bad("bare-prefix", "resource \"alicloud_polardbx_backup\" \"b\" { db_instance_name = \"pxc-\" }", "db_instance_name"),
        bad("region-id", "resource \"alicloud_polardbx_backup\" \"b\" {\n db_instance_name = \"pxc-emulator0001\"\n region_id = \"Hangzhou\"\n}", "region_id"),
        bad("negative-timeout", "resource \"alicloud_polardbx_backup\" \"b\" {\n db_instance_name = \"pxc-emulator0001\"\n timeouts {\n create = \"-5m\"\n }\n}", "timeouts.create"),
        bad("ds-time", "data \"alicloud_polardb_backups\" \"d\" {\n db_cluster_id = \"pc-emulator0001\"\n start_time = \"yesterday\"\n}", "start_time"),
        bad("ds-instance", "data \"alicloud_polardbx_backups\" \"d\" { db_instance_name = \"abc\" }", "db_instance_name"),
        bad_provider("region-format", "region = \"Hangzhou\"\naccess_key = \"LTAIEmulatorKey\"\nsecret_key = \"EmulatorSecret\"", "region"),
        bad_provider("region-unknown", "region = \"cn-hangzou\"\naccess_key = \"LTAIEmulatorKey\"\nsecret_key = \"EmulatorSecret\"", "Unknown region"),
        bad_provider("oidc-provider-arn", "region = \"cn-hangzhou\"\nassume_role_with_oidc {\n oidc_provider_arn = \"arn:bad\"\n}", "assume_role_with_oidc.oidc_provider_arn"),
        bad_provider("signature", "region = \"cn-hangzhou\"\nsignature_version = \"v4\"\naccess_key = \"LTAIEmulatorKey\"\nsecret_key = \"EmulatorSecret\"", "signature_version"),
        bad_provider("endpoint-scheme", "region = \"cn-hangzhou\"\naccess_key = \"LTAIEmulatorKey\"\nsecret_key = \"EmulatorSecret\"\nendpoints {\n polardb = \"ftp://127.0.0.1:1\"\n}", "endpoints.polardb"),
        bad_provider("endpoint-host", "region = \"cn-hangzhou\"\naccess_key = \"LTAIEmulatorKey\"\nsecret_key = \"EmulatorSecret\"\nendpoints {\n polardbx = \"http://\"\n}", "endpoints.polardbx"),
        bad_provider("retry-timeout", "region = \"cn-hangzhou\"\nmax_retry_timeout = \"5 minutes\"\naccess_key = \"LTAIEmulatorKey\"\nsecret_key = \"EmulatorSecret\"", "max_retry_timeout"),
        bad_provider("connect-timeout", "region = \"cn-hangzhou\"\nconnect_timeout = \"0s\"\naccess_key = \"LTAIEmulatorKey\"\nsecret_key = \"EmulatorSecret\"", "connect_timeout"),
        bad_provider("empty-key", "region = \"cn-hangzhou\"\naccess_key = \"\"\nsecret_key = \"EmulatorSecret\"", "access_key"),
        bad_provider("half-key", "region = \"cn-hangzhou\"\naccess_key = \"LTAIEmulatorKey\"\nendpoints {\n polardb = \"{url}\"\n}", "credentials"),
        bad_provider("no-credentials", "region = \"cn-hangzhou\"\nendpoints {\n polardb = \"{url}\"\n}", "No usable Alibaba Cloud credentials"),
        bad_provider("missing-profile", "region = \"cn-hangzhou\"\nprofile = \"nosuchprofile\"\nendpoints {\n polardb = \"{url}\"\n}", "nosuchprofile"),
        bad_provider("role-arn", "region = \"cn-hangzhou\"\naccess_key = \"LTAIEmulatorKey\"\nsecret_key = \"EmulatorSecret\"\nassume_role {\n role_arn = \"arn:bad\"\n}", "assume_role.role_arn"),
        bad_provider("session-expiration", "region = \"cn-hangzhou\"\naccess_key = \"LTAIEmulatorKey\"\nsecret_key = \"EmulatorSecret\"\nassume_role {\n role_arn = \"acs:ram::123456789012:role/r\"\n session_expiration = 60\n}", "session_expiration"),
    ];
    assert!(cases.len() >= 25);
    let home = crate::util::TempDir::new("bad-input-home");
    for case in &cases {
        let tf = Terraform::new(&format!("bad-{}", case.name));
        let provider = case
            .provider
            .replace("{urlx}", &emu.polardbx_endpoint())
            .replace("{url}", &emu.polardb_endpoint());
        tf.write(
            "provider.tf",
            &format!("provider \"alicloud\" {{\n{provider}\n}}\n"),
        );
        tf.write("main.tf", case.config);
        let mut plan = tf.without_ambient_credentials(
            &["plan", "-input=false", "-no-color"],
            &["ALIBABA_CLOUD_REGION", "ALICLOUD_REGION"],
        );
        plan.cmd().env("HOME", home.path());
        let out = plan
            .expect(&format!("case {}: the plan refused", case.name))
            .fail();
        let err = stderr(&out);
        assert!(
            err.contains(case.expect),
            "case {}: {:?} not named:\n{err}",
            case.name,
            case.expect
        );
        assert!(
            !err.contains("panicked"),
            "case {}: panic:\n{err}",
            case.name
        );
    }
    let requests = emu.requests();
    assert_eq!(
        requests.as_array().map(Vec::len),
        Some(0),
        "API was called: {requests}"
    );
}

/// A lost CreateBackup answer on PolarDB-X is recovered by adopting the backup set it made:
/// exactly one backup, and it is the one in state.
#[test]
fn polardbx_lost_answer_adopts_backup_set() {
    let emu = Emulator::start_default();
    emu.set_faults(serde_json::json!({ "CreateBackup": { "drop_after_commit_rate": 1.0 } }));
    let config = format!(
        "resource \"alicloud_polardbx_backup\" \"b\" {{\n  db_instance_name = \"{INSTANCE}\"\n}}\n"
    );
    let tf = terraform("polardbx-adopt", &emu, &config);
    tf.apply();
    let sets = emulator_backups(&emu, "polardbx");
    assert_eq!(sets.len(), 1, "{sets:?}");
    let state = resources(&tf);
    assert_eq!(state[0]["values"]["backup_set_id"], sets[0]["id"]);
}

/// Throttling that outlasts `max_retry_timeout` fails saying so, with the last RequestId.
#[test]
fn throttling_past_the_budget_says_so() {
    let emu = Emulator::start_default();
    emu.set_faults(serde_json::json!({ "CreateBackup": { "throttle_rate": 1.0 } }));
    let started = std::time::Instant::now();
    let err = failed_apply(
        "throttled",
        &provider_block_with(&emu, emu.secret(), "2s"),
        CLUSTER,
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert!(err.contains("retry budget"), "{err}");
    assert!(err.contains("max_retry_timeout"), "{err}");
    assert!(
        err.contains("RequestId: ") && !err.contains("RequestId: none"),
        "{err}"
    );
    assert!(calls(&emu, "CreateBackup") > 1, "was not retried");
}

/// A lost CreateBackup answer on PolarDB is retried with the same ClientToken: one backup.
#[test]
fn polardb_lost_answer_keeps_one_backup() {
    use terraform_provider_alicloud::emulator::faults::{decide, FaultConfig, FaultRule, Rng};
    let rule = FaultRule {
        drop_after_commit_rate: 0.5,
        ..FaultRule::default()
    };
    let faults: FaultConfig = [("CreateBackup".to_string(), rule)].into_iter().collect();
    // A seed whose first CreateBackup is dropped after commit and whose second is answered.
    let seed = (0..1000u64)
        .find(|s| {
            let mut rng = Rng::new(*s);
            decide(&faults, "CreateBackup", &mut rng).drop_after_commit
                && !decide(&faults, "CreateBackup", &mut rng).drop_after_commit
        })
        .expect("a seed");
    let emu = Emulator::start(&[
        "--cluster",
        CLUSTER,
        "--backup-duration",
        "300ms",
        "--fault",
        "CreateBackup:drop_after_commit_rate=0.5",
        "--seed",
        &seed.to_string(),
    ]);
    let tf = terraform("polardb-lost-answer", &emu, POLARDB_ONE);
    tf.apply();
    assert_eq!(calls(&emu, "CreateBackup"), 2, "{}", emu.requests());
    let backups = emulator_backups(&emu, "polardb");
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(resources(&tf)[0]["values"]["backup_id"], backups[0]["id"]);
}

/// Ctrl-C while a backup is waited on: Terraform stops promptly, the created backup is in
/// state (not tainted), and the next plan converges without creating another.
#[test]
fn interrupted_apply_keeps_the_backup() {
    let emu = Emulator::start(&["--cluster", CLUSTER, "--backup-duration", "60s"]);
    let tf = terraform("interrupt", &emu, POLARDB_ONE);
    let child = tf.spawn(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    wait_until(
        "the apply to poll DescribeBackups",
        std::time::Duration::from_secs(60),
        || polls(&emu, "DescribeBackups") > 0,
    );
    let signalled = std::time::Instant::now();
    signal("-INT", child.id());
    let out = child.wait_with_output().expect("wait for terraform");
    assert!(
        signalled.elapsed() < std::time::Duration::from_secs(15),
        "terraform took {:?} to stop",
        signalled.elapsed()
    );
    let state = resources(&tf);
    assert_eq!(
        state.len(),
        1,
        "created backup not in state: {}",
        stderr(&out)
    );
    assert_ne!(
        state[0]["tainted"], true,
        "an interrupted wait must not taint the backup"
    );
    // The backup is still running and wait_for_completion = true: the next plan is an in-place
    // wait for it (issue 11), never a replacement.
    let plan = tf.plan_json();
    assert_eq!(
        plan["resource_changes"][0]["change"]["actions"],
        serde_json::json!(["update"]),
        "the next plan should wait for the backup: {plan}"
    );
    assert_eq!(emulator_backups(&emu, "polardb").len(), 1);
    assert_eq!(calls(&emu, "CreateBackup"), 1);
}

/// Ten creates on one PolarDB-X instance at once, half of the answers lost after the backup
/// set was made: each resource ends with its own set (an adopting create never takes a set
/// another create just made), and there is no duplicate.
#[tokio::test]
async fn concurrent_lost_answers_adopt_distinct_sets() {
    use terraform_provider_alicloud::emulator::FaultRule;
    use terraform_provider_alicloud::resource::{Ctx, ObjectType, Resource, StopSignal};
    use terraform_provider_alicloud::resources::polardbx_backup::PolardbxBackup;
    use terraform_provider_alicloud::tfvalue::Value as V;

    let rule = FaultRule {
        drop_after_commit_rate: 0.5,
        latency_ms_min: 0,
        latency_ms_max: 40,
        ..FaultRule::default()
    };
    let (emu, data) = in_process([("CreateBackup".to_string(), rule)].into_iter().collect()).await;
    let ctx = Ctx {
        provider: Some(std::sync::Arc::new(data)),
        stop: StopSignal::never(),
    };
    let r = PolardbxBackup::new();
    let mut planned = V::null_object(&r.schema().value_type());
    planned.set("db_instance_name", V::string(INSTANCE));
    planned.set("region_id", V::string("cn-hangzhou"));
    planned.set("backup_type", V::string("0"));
    planned.set("wait_for_completion", V::Bool(true));
    let creates = (0..10).map(|_| r.create(&ctx, planned.clone(), planned.clone()));
    let responses = futures_join_all(creates).await;
    let mut ids = Vec::new();
    for resp in responses {
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        assert_eq!(resp.new_state.str_attr("status"), Some("Success"));
        ids.push(
            resp.new_state
                .str_attr("backup_set_id")
                .expect("id")
                .to_string(),
        );
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10, "two resources hold one set: {ids:?}");
    let sets = emu.with_state(|s| s.polardbx_backups.len());
    assert_eq!(sets, 10, "a lost answer made a duplicate");
}

/// Awaits every future concurrently (no extra crate: a `JoinSet` needs `'static` futures).
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut pending: Vec<std::pin::Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (i, f) in pending.iter_mut().enumerate() {
            if done[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => done[i] = Some(v),
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    done.into_iter().flatten().collect()
}
