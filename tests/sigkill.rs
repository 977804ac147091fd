//! A provider killed outright (SIGKILL) while Terraform waits on a backup, and the documented
//! recovery by import (docs/reliability.md): the backup is an orphan until imported, and no
//! second backup is ever made.

use std::time::Duration;

use crate::util::config::terraform_with;
use crate::util::emulator::{Emulator, CLUSTER, INSTANCE};
use crate::util::process::{providers_under, signal};
use crate::util::state::{calls, emulator_backups, polls, resources};
use crate::util::{text, wait_until};

/// One product's side of the SIGKILL test: its resource, the action Terraform waits on, the
/// data source that lists its backups, and how an import ID is made from a backup ID.
struct Killed {
    product: &'static str,
    resource: &'static str,
    wait_action: &'static str,
    data_source: &'static str,
    id_of: fn(&str) -> String,
}

/// Kills the provider while Terraform waits on a 20 s backup of `k`, checks what Terraform
/// reports and that the backup is an orphan, then recovers as docs/reliability.md says: find
/// the import ID with the data source, `terraform import`, and check the plan is empty and no
/// second backup is ever created.
fn kill_then_import(k: &Killed) {
    let emu = Emulator::start_one_each("20s", &[]);
    let (target_attr, target) = if k.product == "polardb" {
        ("db_cluster_id", CLUSTER)
    } else {
        ("db_instance_name", INSTANCE)
    };
    let config = format!(
        "resource \"{}\" \"b\" {{\n  {target_attr} = \"{target}\"\n}}\n",
        k.resource
    );
    let creds = format!(
        "  access_key = \"{}\"\n  secret_key = \"{}\"",
        emu.access_key(),
        emu.secret()
    );
    let tf = terraform_with(&format!("sigkill-{}", k.product), &emu, &creds, &config);
    let child = tf.spawn(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    wait_until(
        &format!("the apply to poll {}", k.wait_action),
        Duration::from_secs(60),
        || polls(&emu, k.wait_action) > 0,
    );
    let provider = *providers_under(child.id())
        .first()
        .expect("the provider process under terraform");
    signal("-KILL", provider);
    let killed = std::time::Instant::now();
    let out = child.wait_with_output().expect("wait for terraform");
    let reported = text(&out);
    eprintln!(
        "SIGKILL ({}): terraform exited {:?} after {:?}",
        k.product,
        out.status.code(),
        killed.elapsed()
    );
    assert!(!out.status.success(), "apply must fail");
    // Terraform words a dead plugin two ways, depending on whether the RPC failed before or
    // after it noticed the process was gone.
    assert!(
        reported.contains("Plugin did not respond") || reported.contains("request was cancelled"),
        "{reported}"
    );
    assert!(reported.contains("ApplyResourceChange"), "{reported}");
    assert!(resources(&tf).is_empty(), "nothing should be in state");
    let backups = emulator_backups(&emu, k.product);
    assert_eq!(
        backups.len(),
        1,
        "the backup exists in the cloud: {backups:?}"
    );

    // Where running backups are listed only once finished (strict dialect), the data source
    // can show the import ID only then: wait for it.
    if Emulator::env_dialect() == "strict" {
        wait_until("the backup to finish", Duration::from_secs(120), || {
            !emulator_backups(&emu, k.product)
                .iter()
                .any(|b| b["status"] == "Running")
        });
    }
    let backup_id = emulator_backups(&emu, k.product)[0]["id"]
        .as_str()
        .expect("id")
        .to_string();

    // Recovery, step 1: the data source shows the import ID.
    let finder = terraform_with(
        &format!("sigkill-find-{}", k.product),
        &emu,
        &creds,
        &format!(
            "data \"{ds}\" \"all\" {{\n  {target_attr} = \"{target}\"\n}}\n\
             output \"ids\" {{\n  value = data.{ds}.all.ids\n}}\n",
            ds = k.data_source
        ),
    );
    finder.apply();
    let ids = finder.json(&["output", "-json", "ids"]);
    let import_id = (k.id_of)(&backup_id);
    assert_eq!(ids, serde_json::json!([import_id]));

    // Step 2: import into the same configuration; the plan is then empty, except that a
    // PolarDB backup still running plans an in-place wait (wait_for_completion = true).
    let address = format!("{}.b", k.resource);
    tf.ok(&["import", "-input=false", "-no-color", &address, &import_id]);
    assert_eq!(resources(&tf).len(), 1);
    let running = resources(&tf)[0]["values"]["status"] == "Running";
    let expected = if running && k.product == "polardb" {
        2
    } else {
        0
    };
    assert_eq!(
        tf.plan_exit_code(),
        expected,
        "after import the plan must be empty (or a wait)"
    );
    tf.apply();
    assert_eq!(tf.plan_exit_code(), 0, "after apply the plan must be empty");
    assert_eq!(calls(&emu, "CreateBackup"), 1, "a second backup was made");
    assert_eq!(emulator_backups(&emu, k.product).len(), 1);
    assert_eq!(resources(&tf)[0]["values"]["id"], import_id.as_str());
}

/// SIGKILL of the provider while Terraform waits on a PolarDB backup: "Plugin did not respond",
/// the backup an orphan; `<db_cluster_id>:<backup_id>` from `alicloud_polardb_backups.ids`
/// imports it and the plan converges with one backup.
#[test]
fn sigkill_mid_apply_then_import_recovers() {
    kill_then_import(&Killed {
        product: "polardb",
        resource: "alicloud_polardb_backup",
        wait_action: "DescribeBackups",
        data_source: "alicloud_polardb_backups",
        id_of: |id| format!("{CLUSTER}:{id}"),
    });
}

/// The same for PolarDB-X, with `<region_id>:<db_instance_name>:<backup_set_id>`.
#[test]
fn sigkill_mid_apply_then_import_recovers_polardbx() {
    kill_then_import(&Killed {
        product: "polardbx",
        resource: "alicloud_polardbx_backup",
        wait_action: "DescribeBackupSet",
        data_source: "alicloud_polardbx_backups",
        id_of: |id| format!("cn-hangzhou:{INSTANCE}:{id}"),
    });
}
