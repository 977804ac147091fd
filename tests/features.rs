//! Issue 13's capabilities through the real `terraform` against the emulator: plan-time checks
//! of creates (quota, target status), the singular data sources, retained backups and the
//! ephemeral download links.

use serde_json::Value;

use crate::util::config::terraform;
use crate::util::emulator::{Emulator, CLUSTER, INSTANCE};
use crate::util::state::{calls, emulator_backups};

fn backups(n: usize, extra: &str) -> String {
    (1..=n)
        .map(|i| {
            format!(
                "resource \"alicloud_polardb_backup\" \"b{i}\" {{\n  db_cluster_id = \"{CLUSTER}\"\n{extra}}}\n"
            )
        })
        .collect()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .replace('\n', " ")
        .replace("│", " ")
}

/// The plan of a 4th backup on a cluster fails, naming the three holders as managed, and no
/// CreateBackup is made; a plan with nothing to create makes no check call at all.
#[test]
fn fourth_backup_fails_at_plan_without_create_call() {
    let emu = Emulator::start_default();
    let tf = terraform("feat-quota", &emu, &backups(3, ""));
    tf.apply();
    let ids: Vec<String> = emulator_backups(&emu, "polardb")
        .iter()
        .map(|b| b["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(ids.len(), 3);
    let checks = calls(&emu, "DescribeDBClusterAttribute");
    assert_eq!(tf.plan_exit_code(), 0);
    assert_eq!(
        calls(&emu, "DescribeDBClusterAttribute"),
        checks,
        "a plan that creates nothing calls nothing"
    );

    let creates = calls(&emu, "CreateBackup");
    tf.write(
        "main.tf",
        &format!(
            "{}resource \"alicloud_polardb_backup\" \"b4\" {{\n  db_cluster_id = \"{CLUSTER}\"\n  depends_on = [alicloud_polardb_backup.b1, alicloud_polardb_backup.b2, alicloud_polardb_backup.b3]\n}}\n",
            backups(3, "")
        ),
    );
    let out = tf.fail(&["plan", "-input=false", "-no-color"]);
    let text = stderr(&out);
    assert!(text.contains("Manual backup quota"), "{text}");
    for id in &ids {
        assert!(
            text.contains(&format!("- {id} (started ")),
            "{id} listed: {text}"
        );
    }
    assert_eq!(text.matches("managed by Terraform").count(), 3, "{text}");
    assert!(!text.contains("not known to be managed"), "{text}");
    let out = tf.fail(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(stderr(&out).contains("Manual backup quota"));
    assert_eq!(calls(&emu, "CreateBackup"), creates, "no CreateBackup call");
    assert_eq!(emulator_backups(&emu, "polardb").len(), 3);
}

/// Two creates in one plan on a cluster that already holds two backups (one unmanaged) fail,
/// and the unmanaged holder is said to be not known to be managed.
#[test]
fn creates_of_one_plan_count_together() {
    let emu = Emulator::start_default();
    let tf = terraform("feat-quota-two", &emu, &backups(1, ""));
    tf.apply();
    let other = terraform("feat-quota-other", &emu, &backups(1, ""));
    other.apply();
    let creates = calls(&emu, "CreateBackup");
    tf.write("main.tf", &backups(3, ""));
    let out = tf.fail(&["plan", "-input=false", "-no-color"]);
    let text = stderr(&out);
    assert!(text.contains("this plan creates"), "{text}");
    assert!(text.contains("not known to be managed"), "{text}");
    assert_eq!(calls(&emu, "CreateBackup"), creates);
    assert_eq!(
        calls(&emu, "DescribeDBClusterAttribute"),
        // one per plan-phase process that created: the first apply's plan and apply, the
        // other's plan and apply, this plan.
        5,
        "one status call per cluster per process"
    );
}

/// Replacing a backup of a full cluster plans with a warning and applies: the default order
/// destroys the old backup before creating the new one.
#[test]
fn replacement_at_quota_frees_its_slot() {
    let emu = Emulator::start_default();
    let tf = terraform(
        "feat-quota-replace",
        &emu,
        &backups(3, "  comment = \"v1\"\n"),
    );
    tf.apply();
    let before: Vec<Value> = emulator_backups(&emu, "polardb");
    tf.write(
        "main.tf",
        &format!(
            "{}resource \"alicloud_polardb_backup\" \"b3\" {{\n  db_cluster_id = \"{CLUSTER}\"\n  comment = \"v2\"\n}}\n",
            backups(2, "  comment = \"v1\"\n")
        ),
    );
    let out = tf.ok(&["plan", "-input=false", "-no-color"]);
    let text = String::from_utf8_lossy(&out.stdout)
        .replace('\n', " ")
        .replace("│", " ");
    assert!(
        text.contains("frees its slot only if it is destroyed first"),
        "{text}"
    );
    tf.apply();
    let after = emulator_backups(&emu, "polardb");
    assert_eq!(after.len(), 3);
    assert_ne!(before, after, "one backup was replaced");
}

/// A create on a missing cluster, a stopped cluster or a stopped PolarDB-X instance fails at
/// plan, saying the state it is in; no CreateBackup is made.
#[test]
fn creates_on_unusable_targets_fail_at_plan() {
    let emu = Emulator::start_default();
    emu.set_cluster("pc-stopped0001", "Stopped");
    emu.set_instance(INSTANCE, "Upgrading");
    let tf = terraform(
        "feat-targets",
        &emu,
        "resource \"alicloud_polardb_backup\" \"gone\" {\n  db_cluster_id = \"pc-missing00001\"\n}\n",
    );
    let text = stderr(&tf.fail(&["plan", "-input=false", "-no-color"]));
    assert!(text.contains("does not exist"), "{text}");
    assert!(text.contains("pc-missing00001"), "{text}");
    tf.write(
        "main.tf",
        "resource \"alicloud_polardb_backup\" \"stopped\" {\n  db_cluster_id = \"pc-stopped0001\"\n}\n",
    );
    let text = stderr(&tf.fail(&["plan", "-input=false", "-no-color"]));
    assert!(text.contains("is in status Stopped"), "{text}");
    tf.write(
        "main.tf",
        &format!("resource \"alicloud_polardbx_backup\" \"x\" {{\n  db_instance_name = \"{INSTANCE}\"\n}}\n"),
    );
    let text = stderr(&tf.fail(&["plan", "-input=false", "-no-color"]));
    assert!(text.contains("is in status Upgrading"), "{text}");
    assert_eq!(calls(&emu, "CreateBackup"), 0);
}

/// `terraform output -json` as name -> value.
fn outputs(tf: &crate::util::terraform::Terraform) -> Value {
    let all = tf.json(&["output", "-json"]);
    let mut out = serde_json::Map::new();
    if let Value::Object(m) = all {
        for (k, v) in m {
            out.insert(k, v["value"].clone());
        }
    }
    Value::Object(out)
}

const TWO_OF_EACH: &str = r#"
resource "alicloud_polardb_backup" "old" {
  db_cluster_id = "pc-emulator0001"
}
resource "alicloud_polardb_backup" "new" {
  db_cluster_id = "pc-emulator0001"
  depends_on    = [alicloud_polardb_backup.old]
}
resource "alicloud_polardbx_backup" "old" {
  db_instance_name = "pxc-emulator0001"
}
resource "alicloud_polardbx_backup" "new" {
  db_instance_name = "pxc-emulator0001"
  depends_on       = [alicloud_polardbx_backup.old]
}
"#;

/// The singular data sources pick the newest with most_recent, refuse several without it,
/// and say so when nothing matches; their IDs are the resources' IDs.
#[test]
fn singular_data_sources_pick_one_or_the_newest() {
    let emu = Emulator::start_one_each("1100ms", &[]);
    let tf = terraform("feat-singular", &emu, TWO_OF_EACH);
    tf.apply();
    tf.write(
        "data.tf",
        r#"
data "alicloud_polardb_backup" "latest" {
  db_cluster_id = "pc-emulator0001"
  status        = "Success"
  backup_mode   = "Manual"
  most_recent   = true
}
data "alicloud_polardbx_backup" "latest" {
  db_instance_name = "pxc-emulator0001"
  backup_mode      = "Manual"
  most_recent      = true
}
output "polardb" { value = data.alicloud_polardb_backup.latest }
output "polardbx" { value = data.alicloud_polardbx_backup.latest }
output "want_polardb" { value = alicloud_polardb_backup.new.id }
output "want_polardbx" { value = alicloud_polardbx_backup.new.id }
"#,
    );
    tf.apply();
    let out = outputs(&tf);
    assert_eq!(out["polardb"]["id"], out["want_polardb"], "{out}");
    assert_eq!(out["polardb"]["status"], "Success");
    assert_eq!(out["polardb"]["detached"], false);
    assert_eq!(out["polardbx"]["id"], out["want_polardbx"], "{out}");
    assert_eq!(out["polardbx"]["status"], "Success");

    tf.write(
        "data.tf",
        "data \"alicloud_polardb_backup\" \"all\" {\n  db_cluster_id = \"pc-emulator0001\"\n}\n",
    );
    let text = stderr(&tf.fail(&["plan", "-input=false", "-no-color"]));
    assert!(text.contains("Several backups match"), "{text}");
    assert!(text.contains("most_recent = true"), "{text}");
    tf.write(
        "data.tf",
        "data \"alicloud_polardbx_backup\" \"failed\" {\n  db_instance_name = \"pxc-emulator0001\"\n  status = \"Failed\"\n}\n",
    );
    let text = stderr(&tf.fail(&["plan", "-input=false", "-no-color"]));
    assert!(text.contains("No backup matches"), "{text}");
}

/// After its cluster is released a retained backup is found only with include_detached, and
/// is marked detached.
#[test]
fn released_cluster_backups_found_on_request() {
    let emu = Emulator::start_default();
    let tf = terraform(
        "feat-detached",
        &emu,
        &format!(
            "resource \"alicloud_polardb_backup\" \"final\" {{\n  db_cluster_id = \"{CLUSTER}\"\n  deletion_policy = \"Retain\"\n}}\noutput \"id\" {{ value = alicloud_polardb_backup.final.backup_id }}\n"
        ),
    );
    tf.apply();
    let id = outputs(&tf)["id"].clone();
    tf.ok(&["state", "rm", "alicloud_polardb_backup.final"]);
    emu.set_cluster(CLUSTER, "Released");
    tf.write(
        "main.tf",
        &format!(
            "data \"alicloud_polardb_backup\" \"kept\" {{\n  db_cluster_id = \"{CLUSTER}\"\n}}\n"
        ),
    );
    let text = stderr(&tf.fail(&["plan", "-input=false", "-no-color"]));
    assert!(
        text.contains("does not exist") || text.contains("not found"),
        "{text}"
    );
    tf.write(
        "main.tf",
        &format!(
            "data \"alicloud_polardb_backup\" \"kept\" {{\n  db_cluster_id = \"{CLUSTER}\"\n  include_detached = true\n}}\noutput \"kept\" {{ value = data.alicloud_polardb_backup.kept }}\n"
        ),
    );
    tf.apply();
    let out = outputs(&tf);
    assert_eq!(out["kept"]["backup_id"], id, "{out}");
    assert_eq!(out["kept"]["detached"], true);
    assert!(calls(&emu, "DescribeDetachedBackups") >= 1);
}

/// The ephemeral download links reach Terraform (a postcondition on them passes, and a false
/// one fails) but never the saved plan or the state.
#[test]
fn download_links_never_reach_plan_or_state() {
    let emu = Emulator::start_default();
    let config = |files: usize| {
        format!(
            r#"
resource "alicloud_polardbx_backup" "x" {{
  db_instance_name = "{INSTANCE}"
}}
ephemeral "alicloud_polardbx_backup_download" "d" {{
  db_instance_name = alicloud_polardbx_backup.x.db_instance_name
  backup_set_id    = alicloud_polardbx_backup.x.backup_set_id
  lifecycle {{
    postcondition {{
      condition     = length(self.links) == {files} && startswith(self.links[0].url, "https://") && self.links[0].expire_time != ""
      error_message = "Expected {files} download links."
    }}
  }}
}}
"#
        )
    };
    let tf = terraform("feat-ephemeral", &emu, &config(1));
    tf.apply();
    let opened = calls(&emu, "DescribeBackupSet");
    tf.ok(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
    assert!(
        calls(&emu, "DescribeBackupSet") > opened,
        "the plan opened the ephemeral resource"
    );
    let unzip = std::process::Command::new("unzip")
        .args(["-p", "tfplan"])
        .current_dir(tf.path())
        .output()
        .expect("unzip the plan");
    assert!(unzip.status.success() && !unzip.stdout.is_empty());
    let plan = String::from_utf8_lossy(&unzip.stdout);
    let state = std::fs::read_to_string(tf.path().join("terraform.tfstate")).expect("state");
    // Not `terraform show -json tfplan`: Terraform 1.11.4 crashes on a plan with a check on an
    // ephemeral resource ("unsupported resource mode 69", internal/command/jsonchecks).
    for (what, text) in [("plan file", &*plan), ("state", &*state)] {
        assert!(!text.contains("emulator-rdsbak"), "link host in the {what}");
        assert!(!text.contains("Signature="), "link signature in the {what}");
    }
    assert!(
        state.contains("alicloud_polardbx_backup"),
        "the state is real"
    );

    tf.write("main.tf", &config(2));
    let text = stderr(&tf.fail(&["plan", "-input=false", "-no-color"]));
    assert!(text.contains("Expected 2 download links."), "{text}");
    assert!(!text.contains("emulator-rdsbak"), "{text}");
}
