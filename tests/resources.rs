//! Both backup resources and their data sources end to end: the real `terraform` drives the
//! built provider against a fresh emulator per test (300 ms backups unless a test says otherwise).

use serde_json::Value;

use crate::util::config::{
    failed_apply, provider_block, provider_block_with, terraform, POLARDB_ONE,
};
use crate::util::emulator::{Emulator, CLUSTER, INSTANCE};
use crate::util::in_process::in_process;
use crate::util::state::{calls, emulator_backups, polls, resources};
use crate::util::stderr;
use crate::util::terraform::Terraform;

/// What a refresh-only plan found drifted (`resource_drift` of the saved plan). Terraform 1.10+
/// exits 2 from `plan -refresh-only -detailed-exitcode` even with no drift (hashicorp/terraform
/// #36403), so the saved plan is the reliable witness.
fn refresh_only_drift(tf: &Terraform) -> Vec<Value> {
    tf.ok(&[
        "plan",
        "-refresh-only",
        "-input=false",
        "-no-color",
        "-out=refresh.tfplan",
    ]);
    let plan = tf.json(&["show", "-json", "refresh.tfplan"]);
    plan["resource_drift"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Imports `id` into `address` in a fresh directory by an `import {}` block with
/// `-generate-config-out`, applies the import, and checks the generated config plans nothing.
/// Returns the imported resource's state values.
fn import_by_block(name: &str, emu: &Emulator, address: &str, id: &str) -> Value {
    let tf = terraform(
        name,
        emu,
        &format!("import {{\n  to = {address}\n  id = \"{id}\"\n}}\n"),
    );
    tf.ok(&[
        "plan",
        "-input=false",
        "-no-color",
        "-generate-config-out=generated.tf",
    ]);
    let generated = std::fs::read_to_string(tf.path().join("generated.tf")).expect("generated.tf");
    tf.apply();
    assert_eq!(
        tf.plan_exit_code(),
        0,
        "generated config plans changes:\n{generated}"
    );
    tf.ok(&["validate", "-no-color"]);
    let found = resources(&tf);
    assert_eq!(found.len(), 1, "{found:?}");
    found[0]["values"].clone()
}

/// Asserts two states agree on every attribute but those named.
fn assert_same_state(a: &Value, b: &Value, except: &[&str]) {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        panic!("states are not objects: {a} / {b}");
    };
    for (k, v) in a {
        if except.contains(&k.as_str()) {
            continue;
        }
        assert_eq!(Some(v), b.get(k), "attribute {k} differs: {a:?} vs {b:?}");
    }
}

/// PolarDB: apply records the emulator's backup; plan and refresh show no changes; import by
/// command and by block reproduce the state; the data source lists it; destroy deletes it.
#[test]
fn polardb_backup_lifecycle() {
    let emu = Emulator::start_default();
    let tf = terraform("polardb-life", &emu, POLARDB_ONE);
    tf.apply();

    let state = resources(&tf);
    assert_eq!(state.len(), 1);
    let values = state[0]["values"].clone();
    let backups = emulator_backups(&emu, "polardb");
    assert_eq!(backups.len(), 1, "{backups:?}");
    let backup_id = backups[0]["id"].as_str().expect("backup id").to_string();
    assert_eq!(values["backup_id"], backup_id.as_str());
    assert_eq!(values["id"], format!("{CLUSTER}:{backup_id}"));
    assert_eq!(values["status"], "Success");
    assert_eq!(values["client_token"].as_str().map(str::len), Some(32));
    assert_eq!(backups[0]["client_token"], values["client_token"]);
    // A 300 ms backup: CreateBackup, one poll that sees it running, one that sees it done.
    // Strict (job ID not the backup ID, running backups not listed): the first poll also asks
    // DescribeBackupTasks; once the job is gone, the backup is found by one listing.
    assert_eq!(calls(&emu, "CreateBackup"), 1);
    let most = if Emulator::env_dialect() == "strict" {
        4
    } else {
        2
    };
    assert!(polls(&emu, "DescribeBackups") <= most, "{}", emu.requests());

    let before = calls(&emu, "DescribeBackups");
    let all_before = emu.requests().as_array().map_or(0, Vec::len);
    assert_eq!(tf.plan_exit_code(), 0, "second plan shows changes");
    assert_eq!(
        calls(&emu, "DescribeBackups"),
        before + 1,
        "refresh is one call"
    );
    assert_eq!(
        emu.requests().as_array().map(Vec::len),
        Some(all_before + 1)
    );
    assert_eq!(
        refresh_only_drift(&tf),
        Vec::<Value>::new(),
        "refresh-only shows drift"
    );

    // Import by command into a fresh directory with the same resource block.
    let tf2 = terraform(
        "polardb-import-cmd",
        &emu,
        "resource \"alicloud_polardb_backup\" \"b\" {\n  db_cluster_id = \"pc-emulator0001\"\n  comment = \"nightly\"\n}\n",
    );
    let id = format!("{CLUSTER}:{backup_id}");
    tf2.ok(&[
        "import",
        "-input=false",
        "-no-color",
        "alicloud_polardb_backup.b",
        &id,
    ]);
    let imported = resources(&tf2);
    assert_eq!(imported.len(), 1);
    // An import knows the backup's ID only: its backup_job_id is that ID, which is the job's
    // only where the two are equal.
    assert_same_state(
        &values,
        &imported[0]["values"],
        &["client_token", "comment", "timeouts", "backup_job_id"],
    );

    // Import by block with generated configuration.
    let by_block = import_by_block(
        "polardb-import-block",
        &emu,
        "alicloud_polardb_backup.imp",
        &id,
    );
    assert_same_state(
        &values,
        &by_block,
        &["client_token", "comment", "timeouts", "backup_job_id"],
    );

    // The data source lists it.
    tf.write(
        "data.tf",
        "data \"alicloud_polardb_backups\" \"all\" {\n  db_cluster_id = \"pc-emulator0001\"\n}\n\
         output \"listed\" {\n  value = data.alicloud_polardb_backups.all.ids\n}\n",
    );
    tf.apply();
    let listed = tf.json(&["output", "-json", "listed"]);
    assert_eq!(listed, serde_json::json!([id]));

    tf.destroy();
    assert!(
        emulator_backups(&emu, "polardb").is_empty(),
        "destroy left a backup"
    );
    assert!(resources(&tf).is_empty());
}

/// PolarDB-X: apply, no-change plan and refresh, import both ways, the data source, and a
/// destroy that forgets the backup set with a warning (the API cannot delete it).
#[test]
fn polardbx_backup_lifecycle() {
    let emu = Emulator::start_default();
    let config = format!(
        "resource \"alicloud_polardbx_backup\" \"b\" {{\n  db_instance_name = \"{INSTANCE}\"\n}}\n"
    );
    let tf = terraform("polardbx-life", &emu, &config);
    tf.apply();
    let state = resources(&tf);
    assert_eq!(state.len(), 1);
    let values = state[0]["values"].clone();
    let sets = emulator_backups(&emu, "polardbx");
    assert_eq!(sets.len(), 1, "{sets:?}");
    let set_id = sets[0]["id"].as_str().expect("set id").to_string();
    let id = format!("cn-hangzhou:{INSTANCE}:{set_id}");
    assert_eq!(values["id"], id.as_str());
    assert_eq!(values["region_id"], "cn-hangzhou");
    assert_eq!(values["status"], "Success");

    assert_eq!(calls(&emu, "CreateBackup"), 1);
    assert!(calls(&emu, "DescribeBackupSet") <= 2, "{}", emu.requests());
    let before = emu.requests().as_array().map_or(0, Vec::len);
    assert_eq!(tf.plan_exit_code(), 0, "second plan shows changes");
    let after = emu.requests().as_array().map_or(0, Vec::len);
    assert_eq!(after, before + 1, "refresh is one call");
    assert_eq!(
        refresh_only_drift(&tf),
        Vec::<Value>::new(),
        "refresh-only shows drift"
    );

    let tf2 = terraform("polardbx-import-cmd", &emu, &config);
    tf2.ok(&[
        "import",
        "-input=false",
        "-no-color",
        "alicloud_polardbx_backup.b",
        &id,
    ]);
    assert_same_state(&values, &resources(&tf2)[0]["values"], &["timeouts"]);
    let by_block = import_by_block(
        "polardbx-import-block",
        &emu,
        "alicloud_polardbx_backup.imp",
        &id,
    );
    assert_same_state(&values, &by_block, &["timeouts"]);

    tf.write(
        "data.tf",
        &format!(
            "data \"alicloud_polardbx_backups\" \"all\" {{\n  db_instance_name = \"{INSTANCE}\"\n}}\n\
             output \"listed\" {{\n  value = data.alicloud_polardbx_backups.all.ids\n}}\n"
        ),
    );
    tf.apply();
    assert_eq!(
        tf.json(&["output", "-json", "listed"]),
        serde_json::json!([id])
    );

    let out = tf.destroy();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(text.contains("retention"), "no warning on destroy:\n{text}");
    assert_eq!(
        emulator_backups(&emu, "polardbx").len(),
        1,
        "the backup set should stay"
    );
    assert!(resources(&tf).is_empty());
}

/// A backup deleted behind Terraform's back leaves state on refresh and is planned again.
#[test]
fn deleted_backup_is_planned_again() {
    let emu = Emulator::start_default();
    let config = format!(
        "{POLARDB_ONE}\nresource \"alicloud_polardbx_backup\" \"x\" {{\n  db_instance_name = \"{INSTANCE}\"\n}}\n"
    );
    let tf = terraform("deleted-behind", &emu, &config);
    tf.apply();
    for b in emu.backups().as_array().cloned().unwrap_or_default() {
        let id = b["id"].as_str().expect("id");
        assert!(emu.delete_backup(id), "could not delete {id}");
    }
    let plan = tf.plan_json();
    let changes = plan["resource_changes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let creates: Vec<&str> = changes
        .iter()
        .filter(|c| c["change"]["actions"] == serde_json::json!(["create"]))
        .filter_map(|c| c["address"].as_str())
        .collect();
    assert_eq!(
        creates,
        ["alicloud_polardb_backup.b", "alicloud_polardbx_backup.x"],
        "{plan}"
    );
}

/// The 4th backup of a cluster fails the plan with the quota diagnostic; nothing is created.
#[test]
fn fourth_polardb_backup_hits_quota() {
    let emu = Emulator::start_default();
    let config = "resource \"alicloud_polardb_backup\" \"b\" {\n  count = 4\n  db_cluster_id = \"pc-emulator0001\"\n}\n";
    let tf = terraform("quota", &emu, config);
    let out = tf.fail(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let err = stderr(&out);
    assert!(err.contains("3 manual backups"), "{err}");
    assert!(err.contains("Free a slot"), "{err}");
    assert_eq!(calls(&emu, "CreateBackup"), 0);
    assert!(emulator_backups(&emu, "polardb").is_empty());
}

/// A create timeout shorter than the backup fails, with the backup's ID kept in state.
#[test]
fn create_timeout_keeps_id_in_state() {
    let emu = Emulator::start(&["--cluster", CLUSTER, "--backup-duration", "30s"]);
    let config = "resource \"alicloud_polardb_backup\" \"b\" {\n  db_cluster_id = \"pc-emulator0001\"\n  timeouts {\n    create = \"1s\"\n  }\n}\n";
    let tf = terraform("timeout", &emu, config);
    let started = std::time::Instant::now();
    let out = tf.fail(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(25),
        "did not stop at the timeout"
    );
    let err = stderr(&out);
    assert!(err.contains("Timed out waiting"), "{err}");
    assert!(err.contains("timeouts.create"), "{err}");
    let state = resources(&tf);
    assert_eq!(state.len(), 1, "the created backup must be in state");
    let backups = emulator_backups(&emu, "polardb");
    assert_eq!(backups.len(), 1);
    let values = &state[0]["values"];
    assert_eq!(values["backup_job_id"], backups[0]["job_id"]);
    // Where running backups are not listed, the backup's own ID is not known yet.
    assert!(
        values["backup_id"] == backups[0]["id"] || values["backup_id"].is_null(),
        "{values}"
    );
}

/// `for_each` over several clusters creates one backup per cluster in one apply.
#[test]
fn for_each_over_clusters() {
    let emu = Emulator::start(&[
        "--cluster",
        "pc-foreach0001",
        "--cluster",
        "pc-foreach0002",
        "--cluster",
        "pc-foreach0003",
        "--backup-duration",
        "300ms",
    ]);
    let config = r#"
resource "alicloud_polardb_backup" "b" {
  for_each      = toset(["pc-foreach0001", "pc-foreach0002", "pc-foreach0003"])
  db_cluster_id = each.key
}
"#;
    let tf = terraform("for-each", &emu, config);
    tf.apply();
    let backups = emulator_backups(&emu, "polardb");
    let mut clusters: Vec<&str> = backups
        .iter()
        .filter_map(|b| b["db_cluster_id"].as_str())
        .collect();
    clusters.sort_unstable();
    assert_eq!(
        clusters,
        ["pc-foreach0001", "pc-foreach0002", "pc-foreach0003"]
    );
    let state = resources(&tf);
    assert_eq!(state.len(), 3);
    for r in &state {
        let key = r["index"].as_str().expect("for_each key");
        assert_eq!(r["values"]["db_cluster_id"], key);
        assert_eq!(r["values"]["status"], "Success");
    }
    assert_eq!(tf.plan_exit_code(), 0);
}

/// A cluster that does not exist, and one that is not running, each get their own diagnostic
/// with the RequestId.
#[test]
fn missing_and_locked_clusters_are_explained() {
    let emu = Emulator::start_default();
    let err = failed_apply("missing-cluster", &provider_block(&emu), "pc-missing0001");
    assert!(err.contains("does not exist"), "{err}");
    assert!(err.contains("RequestId: "), "{err}");
    assert!(!err.contains("RequestId: none"), "{err}");

    emu.set_cluster(CLUSTER, "Locked");
    let err = failed_apply("locked-cluster", &provider_block(&emu), CLUSTER);
    assert!(err.contains("not in a state that allows"), "{err}");
    assert!(emulator_backups(&emu, "polardb").is_empty());
}

/// A wrong secret is reported as refused credentials; the secret itself is never printed.
#[test]
fn wrong_secret_is_explained_without_leaking_it() {
    let emu = Emulator::start_default();
    let provider = provider_block_with(&emu, "WrongSecretValue42", "20s");
    let err = failed_apply("wrong-secret", &provider, CLUSTER);
    assert!(err.contains("credentials were refused"), "{err}");
    assert!(!err.contains("WrongSecretValue42"), "secret leaked: {err}");
}

/// No credentials anywhere: one diagnostic that lists where the provider looked, and no call.
#[test]
fn missing_credentials_list_where_looked() {
    let emu = Emulator::start_default();
    let provider = format!(
        "provider \"alicloud\" {{\n  region = \"cn-hangzhou\"\n  endpoints {{\n    polardb = \"{0}\"\n    polardbx = \"{1}\"\n  }}\n}}\n",
        emu.polardb_endpoint(),
        emu.polardbx_endpoint()
    );
    let err = failed_apply("no-credentials", &provider, CLUSTER);
    assert!(err.contains("No usable Alibaba Cloud credentials"), "{err}");
    assert!(err.contains("looked"), "{err}");
    assert_eq!(emu.requests().as_array().map(Vec::len), Some(0));
}

/// Values unknown at plan time (here an output of another resource) pass validation and are
/// used once known.
#[test]
fn unknown_values_at_plan_time() {
    let emu = Emulator::start_default();
    let config = format!(
        "resource \"terraform_data\" \"ids\" {{\n  input = {{ cluster = \"{CLUSTER}\", instance = \"{INSTANCE}\" }}\n}}\n\
         resource \"alicloud_polardb_backup\" \"b\" {{\n  db_cluster_id = terraform_data.ids.output.cluster\n}}\n\
         resource \"alicloud_polardbx_backup\" \"x\" {{\n  db_instance_name = terraform_data.ids.output.instance\n}}\n"
    );
    let tf = terraform("unknowns", &emu, &config);
    tf.apply();
    assert_eq!(emulator_backups(&emu, "polardb").len(), 1);
    assert_eq!(emulator_backups(&emu, "polardbx").len(), 1);
    assert_eq!(tf.plan_exit_code(), 0);
}

/// `deletion_policy` changes in place; with `Retain`, destroy keeps the backup and warns.
#[test]
fn retain_keeps_the_backup_on_destroy() {
    let emu = Emulator::start_default();
    let tf = terraform("retain", &emu, POLARDB_ONE);
    tf.apply();
    let before = resources(&tf)[0]["values"]["id"].clone();
    tf.write(
        "main.tf",
        &POLARDB_ONE.replace(
            "comment       = \"nightly\"",
            "comment = \"nightly\"\n  deletion_policy = \"Retain\"",
        ),
    );
    let plan = tf.plan_json();
    let actions = &plan["resource_changes"][0]["change"]["actions"];
    assert_eq!(actions, &serde_json::json!(["update"]), "{plan}");
    tf.apply();
    assert_eq!(
        resources(&tf)[0]["values"]["id"],
        before,
        "changing the policy replaced the backup"
    );
    let out = tf.destroy();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(text.contains("kept in the cloud"), "{text}");
    assert_eq!(emulator_backups(&emu, "polardb").len(), 1);
}

/// With `wait_for_completion = false` apply returns before the backup is done, and the next
/// plan (which refreshes it) shows no changes.
#[test]
fn no_wait_returns_early() {
    let emu = Emulator::start(&["--cluster", CLUSTER, "--backup-duration", "3s"]);
    let config = "resource \"alicloud_polardb_backup\" \"b\" {\n  db_cluster_id = \"pc-emulator0001\"\n  wait_for_completion = false\n}\n";
    let tf = terraform("no-wait", &emu, config);
    tf.apply();
    assert_eq!(polls(&emu, "DescribeBackups"), 0, "should not have waited");
    assert_eq!(resources(&tf).len(), 1);
    assert_eq!(tf.plan_exit_code(), 0);
}

/// A backup that ends `Failed` fails the apply with its ID in state (tainted, so the next
/// apply replaces it).
#[test]
fn failed_backup_is_reported_and_tainted() {
    let emu = Emulator::start_default();
    emu.settings(serde_json::json!({ "fail_next_backups": 1 }));
    let tf = terraform("failed-backup", &emu, POLARDB_ONE);
    let out = tf.fail(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let err = stderr(&out);
    assert!(err.contains("PolarDB backup failed"), "{err}");
    let state = resources(&tf);
    assert_eq!(state.len(), 1);
    assert_eq!(state[0]["values"]["status"], "Failed");
    assert_eq!(state[0]["tainted"], true);
}

/// `insecure = true` is accepted with a warning that says it is for test endpoints only.
#[test]
fn insecure_warns() {
    let emu = Emulator::start_default();
    let tf = Terraform::new("insecure");
    tf.write(
        "provider.tf",
        &provider_block(&emu).replace("region     =", "insecure = true\n  region     ="),
    );
    tf.write("main.tf", POLARDB_ONE);
    let out = tf.ok(&["plan", "-input=false", "-no-color"]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(
        text.contains("TLS certificate verification is off"),
        "{text}"
    );
}

/// Both data sources return every page: 150 PolarDB-X backup sets come back from a listing
/// whose pages hold 100.
#[tokio::test]
async fn data_sources_page_through_everything() {
    use terraform_provider_alicloud::alicloud::polardbx;
    use terraform_provider_alicloud::data_sources::polardbx_backups::PolardbxBackups;
    use terraform_provider_alicloud::resource::{Ctx, DataSource, ObjectType, StopSignal};
    use terraform_provider_alicloud::tfvalue::Value as V;

    let (_emu, data) = in_process(Default::default()).await;
    for _ in 0..150 {
        polardbx::create_backup(&data.polardbx, "cn-hangzhou", INSTANCE, "0")
            .await
            .expect("create");
    }
    let ds = PolardbxBackups::new();
    let mut query = V::null_object(&ds.schema().value_type());
    query.set("db_instance_name", V::string(INSTANCE));
    let ctx = Ctx {
        provider: Some(std::sync::Arc::new(data)),
        stop: StopSignal::never(),
    };
    let resp = ds.read(&ctx, query).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let Some(V::List(backups)) = resp.new_state.get("backups") else {
        panic!("no backups list: {:?}", resp.new_state);
    };
    assert_eq!(backups.len(), 150);
    let mut ids: Vec<&str> = backups
        .iter()
        .filter_map(|b| b.str_attr("backup_set_id"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 150, "pages overlapped");
}

/// Requests signed with V3 (`ACS3-HMAC-SHA256`) work end to end as well.
#[test]
fn signature_v3_end_to_end() {
    let emu = Emulator::start_default();
    let tf = Terraform::new("sig-v3");
    tf.write(
        "provider.tf",
        &provider_block(&emu).replace("region     =", "signature_version = \"v3\"\n  region     ="),
    );
    tf.write("main.tf", POLARDB_ONE);
    tf.apply();
    assert_eq!(emulator_backups(&emu, "polardb").len(), 1);
    let log = emu.requests();
    assert!(
        log.as_array()
            .is_some_and(|l| l.iter().all(|r| r["signature"] == "V3")),
        "{log}"
    );
    tf.destroy();
    assert!(emulator_backups(&emu, "polardb").is_empty());
}

/// A PolarDB-X instance in another region than the provider's: `region_id` routes the calls
/// and lands in the ID.
#[test]
fn polardbx_in_another_region() {
    let emu = Emulator::start(&[
        "--instance",
        INSTANCE,
        "--region",
        "cn-shanghai",
        "--backup-duration",
        "300ms",
    ]);
    let config = format!(
        "resource \"alicloud_polardbx_backup\" \"b\" {{\n  db_instance_name = \"{INSTANCE}\"\n  region_id = \"cn-shanghai\"\n}}\n"
    );
    let tf = terraform("polardbx-region", &emu, &config);
    tf.apply();
    let sets = emulator_backups(&emu, "polardbx");
    assert_eq!(sets.len(), 1);
    let state = resources(&tf);
    let id = format!(
        "cn-shanghai:{INSTANCE}:{}",
        sets[0]["id"].as_str().expect("id")
    );
    assert_eq!(state[0]["values"]["id"], id.as_str());
    assert_eq!(tf.plan_exit_code(), 0);
}
