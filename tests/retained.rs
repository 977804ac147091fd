//! Issue 13's retained backups through the real `terraform`: a backup whose cluster was
//! released with its backups kept stays in state on refresh, plans no change, and imports.

use crate::util::config::terraform;
use crate::util::emulator::{Emulator, CLUSTER};
use crate::util::state::{calls, emulator_backups, resources};

fn retained(policy: &str) -> String {
    format!(
        "resource \"alicloud_polardb_backup\" \"final\" {{\n  db_cluster_id = \"{CLUSTER}\"\n  \
         deletion_policy = \"{policy}\"\n}}\n"
    )
}

/// A retained backup of a released cluster: refresh keeps it (found with
/// DescribeDetachedBackups), the plan shows no changes, `terraform import` of its ID finds it,
/// and removing it from the configuration forgets it with the Retain warning.
#[test]
fn released_cluster_backup_stays_in_state_and_imports() {
    let emu = Emulator::start_default();
    let tf = terraform("retained-release", &emu, &retained("Retain"));
    tf.apply();
    let before = resources(&tf);
    let id = before[0]["values"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(id.starts_with(&format!("{CLUSTER}:")), "{before:?}");
    emu.set_cluster(CLUSTER, "Released");

    tf.refresh_only();
    let after = resources(&tf);
    assert_eq!(after.len(), 1, "the retained backup was dropped from state");
    assert_eq!(after[0]["values"]["id"], id.as_str());
    assert_eq!(after[0]["values"]["status"], "Success");
    assert!(calls(&emu, "DescribeDetachedBackups") >= 1);
    assert_eq!(
        tf.plan_exit_code(),
        0,
        "a released cluster's backup plans a change"
    );

    tf.ok(&["state", "rm", "alicloud_polardb_backup.final"]);
    tf.ok(&[
        "import",
        "-input=false",
        "-no-color",
        "alicloud_polardb_backup.final",
        &id,
    ]);
    let imported = resources(&tf);
    assert_eq!(imported.len(), 1, "import found nothing");
    assert_eq!(imported[0]["values"]["status"], "Success", "{imported:?}");
    assert_eq!(imported[0]["values"]["id"], id.as_str(), "{imported:?}");
    // Import reads deletion_policy as the default "Delete": the configuration's "Retain" is an
    // in-place update, after which nothing is planned.
    tf.apply();
    assert_eq!(tf.plan_exit_code(), 0, "the imported backup plans a change");

    tf.write("main.tf", "");
    let out = tf.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Retain")
            || String::from_utf8_lossy(&out.stderr).contains("Retain"),
        "no Retain warning"
    );
    assert_eq!(
        emulator_backups(&emu, "polardb").len(),
        1,
        "the kept backup was deleted"
    );
}

/// With `deletion_policy = "Delete"` too, a backup its cluster was released with is kept in
/// state by refresh rather than forgotten.
#[test]
fn released_cluster_backup_kept_whatever_the_policy() {
    let emu = Emulator::start_default();
    let tf = terraform("retained-delete-policy", &emu, &retained("Delete"));
    tf.apply();
    emu.set_cluster(CLUSTER, "Released");
    tf.refresh_only();
    assert_eq!(
        resources(&tf).len(),
        1,
        "the kept backup was dropped from state"
    );
    assert_eq!(tf.plan_exit_code(), 0);
}
