//! Issue 13's capabilities through the real `terraform` against the emulator: plan-time checks
//! of creates (quota, target status), the singular data sources, retained backups and the
//! ephemeral download links.

use serde_json::Value;

use crate::resources::{calls, emulator_backups, terraform};
use crate::util::emulator::{Emulator, CLUSTER, INSTANCE};

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
    let n = calls(&emu, "DescribeDBClusterAttribute");
    let out = tf.ok(&["plan", "-input=false", "-no-color"]);
    eprintln!(
        "DEBUG status calls {} stderr {}",
        calls(&emu, "DescribeDBClusterAttribute") - n,
        stderr(&out)
    );
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
