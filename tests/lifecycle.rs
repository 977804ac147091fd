//! A user's first hour through the real `terraform`: a create timeout that resumes instead of
//! replacing, an interrupted wait that the next plan shows as a change, the comment sent to the
//! API, and mistakes refused at plan (a `client_token` used twice, a data source's status or
//! window).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::config::terraform;
use crate::util::emulator::{Emulator, CLUSTER, INSTANCE};
use crate::util::process::signal;
use crate::util::state::{calls, emulator_backups, resources};
use crate::util::{text, wait_until};

/// An emulator whose backups take `duration` (e.g. "8s").
fn slow_emulator(duration: &str) -> Emulator {
    Emulator::start_one_each(duration, &[])
}

fn polardb_with_create_timeout(create: &str) -> String {
    format!(
        "resource \"alicloud_polardb_backup\" \"b\" {{\n  db_cluster_id = \"{CLUSTER}\"\n  \
         comment = \"resume\"\n  timeouts {{\n    create = \"{create}\"\n  }}\n}}\n"
    )
}

fn polardbx_with_create_timeout(create: &str) -> String {
    format!(
        "resource \"alicloud_polardbx_backup\" \"b\" {{\n  db_instance_name = \"{INSTANCE}\"\n  \
         timeouts {{\n    create = \"{create}\"\n  }}\n}}\n"
    )
}

/// Whether the one managed resource in state is tainted.
fn tainted(tf: &crate::util::terraform::Terraform) -> bool {
    let out = tf.ok(&["state", "list", "-no-color"]);
    assert!(!String::from_utf8_lossy(&out.stdout).trim().is_empty());
    let pulled = tf.json(&["state", "pull"]);
    pulled["resources"][0]["instances"][0]["status"] == "tainted"
}

/// PolarDB: a create that times out fails the apply (tainted, with its ID in state); the next
/// apply waits for that same backup: no DeleteBackup, no second CreateBackup, one backup.
#[test]
fn polardb_create_timeout_resumes() {
    let emu = slow_emulator("8s");
    let tf = terraform("resume-polardb", &emu, &polardb_with_create_timeout("2s"));
    let out = tf.fail(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(text(&out).contains("Timed out waiting"), "{}", text(&out));
    assert!(tainted(&tf), "the timed-out backup is not tainted");
    assert_eq!(emulator_backups(&emu, "polardb").len(), 1);

    tf.write("main.tf", &polardb_with_create_timeout("2m"));
    tf.apply();
    let backups = emulator_backups(&emu, "polardb");
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(
        calls(&emu, "CreateBackup"),
        1,
        "a second backup was created"
    );
    assert_eq!(
        calls(&emu, "DeleteBackup"),
        0,
        "the running backup was deleted"
    );
    let state = resources(&tf);
    assert_eq!(state[0]["values"]["status"], "Success");
    assert_eq!(state[0]["values"]["backup_id"], backups[0]["id"]);
    assert!(!tainted(&tf), "still tainted after the resumed wait");
    assert_eq!(
        tf.plan_exit_code(),
        0,
        "a plan after the resumed wait shows changes"
    );
}

/// PolarDB-X (whose sets cannot be deleted): a create timeout followed by another apply leaves
/// exactly one backup set, waited for, instead of abandoning it for a second one.
#[test]
fn polardbx_create_timeout_resumes() {
    let emu = slow_emulator("8s");
    let tf = terraform("resume-polardbx", &emu, &polardbx_with_create_timeout("2s"));
    let out = tf.fail(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(text(&out).contains("Timed out waiting"), "{}", text(&out));
    // What the first apply made (one set; under the strict dialect's 502-after-commit, what
    // the create's adoption left): the second apply must add nothing.
    let (sets_before, creates_before) = (
        emulator_backups(&emu, "polardbx").len(),
        calls(&emu, "CreateBackup"),
    );
    assert!(sets_before >= 1);
    if Emulator::env_dialect() != "strict" {
        assert_eq!(sets_before, 1);
    }
    tf.write("main.tf", &polardbx_with_create_timeout("2m"));
    tf.apply();
    let sets = emulator_backups(&emu, "polardbx");
    assert_eq!(sets.len(), sets_before, "{sets:?}");
    assert_eq!(
        calls(&emu, "CreateBackup"),
        creates_before,
        "a second set was created"
    );
    assert_eq!(resources(&tf)[0]["values"]["status"], "Success");
    assert_eq!(tf.plan_exit_code(), 0);
}

/// `terraform apply -replace` still replaces: the resume applies only to tainted backups.
#[test]
fn polardb_replace_still_replaces() {
    let emu = Emulator::start_default();
    let tf = terraform("replace-polardb", &emu, &polardb_with_create_timeout("2m"));
    tf.apply();
    tf.ok(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-replace=alicloud_polardb_backup.b",
    ]);
    assert_eq!(calls(&emu, "CreateBackup"), 2);
    assert_eq!(calls(&emu, "DeleteBackup"), 1);
    assert_eq!(emulator_backups(&emu, "polardb").len(), 1);
}

/// Ctrl-C while the create waits saves the backup with a warning; the next plan shows an
/// in-place wait while it runs, and that apply waits until it has finished.
#[test]
fn interrupted_wait_is_planned_again() {
    let emu = slow_emulator("20s");
    let tf = terraform(
        "interrupt-polardb",
        &emu,
        &polardb_with_create_timeout("2m"),
    );
    let child = tf.spawn(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    wait_until("a CreateBackup", Duration::from_secs(120), || {
        calls(&emu, "CreateBackup") > 0
    });
    std::thread::sleep(Duration::from_millis(500));
    signal("-INT", child.id());
    let out = child.wait_with_output().expect("terraform apply ends");
    assert!(
        text(&out).contains("Stopped waiting"),
        "no interrupt warning:\n{}",
        text(&out)
    );
    let state = resources(&tf);
    assert_eq!(state.len(), 1, "the interrupted backup is not in state");
    assert_eq!(state[0]["values"]["status"], "Running");

    let plan = tf.plan_json();
    let change = &plan["resource_changes"][0]["change"];
    assert_eq!(change["actions"], serde_json::json!(["update"]), "{plan}");
    tf.apply();
    let state = resources(&tf);
    assert_eq!(state[0]["values"]["status"], "Success");
    assert_eq!(calls(&emu, "CreateBackup"), 1);
    assert_eq!(tf.plan_exit_code(), 0);
}

/// `comment` reaches CreateBackup as `Comment`.
#[test]
fn comment_is_sent() {
    let emu = Emulator::start_default();
    let tf = terraform("comment-polardb", &emu, &polardb_with_create_timeout("2m"));
    tf.apply();
    let log = emu.requests();
    let create = log
        .as_array()
        .and_then(|l| l.iter().find(|r| r["action"] == "CreateBackup"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(create["params"]["Comment"], "resume", "{create}");
}

/// Two resources with one client_token are refused at plan, naming the attribute, before any
/// call; a destroy in that situation ends.
#[test]
fn duplicate_client_token_refused_at_plan() {
    let emu = Emulator::start_default();
    let config = format!(
        "resource \"alicloud_polardb_backup\" \"a\" {{\n  db_cluster_id = \"{CLUSTER}\"\n  \
         client_token = \"same-token\"\n}}\n\
         resource \"alicloud_polardb_backup\" \"b\" {{\n  db_cluster_id = \"{CLUSTER}\"\n  \
         client_token = \"same-token\"\n}}\n"
    );
    let tf = terraform("dup-token", &emu, &config);
    let out = tf.fail(&["plan", "-input=false", "-no-color"]);
    let said = text(&out);
    assert!(said.contains("client_token"), "{said}");
    assert!(said.contains("same-token"), "{said}");
    assert_eq!(calls(&emu, "CreateBackup"), 0);
    tf.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
}

/// The data source refuses `status = "success"` (matched exactly) and a window that ends
/// before it starts, at plan, naming the arguments, before any call.
#[test]
fn data_source_inputs_refused() {
    let emu = Emulator::start_default();
    let cases = [
        ("status = \"success\"", &["\"status\"", "Success"][..]),
        (
            "start_time = \"2025-02-01T00:00Z\"\n  end_time = \"2025-01-01T00:00Z\"",
            &["start_time", "end_time"][..],
        ),
    ];
    for (i, (args, expected)) in cases.iter().enumerate() {
        let tf = terraform(
            &format!("ds-input-{i}"),
            &emu,
            &format!(
                "data \"alicloud_polardb_backups\" \"x\" {{\n  db_cluster_id = \"{CLUSTER}\"\n  \
                 {args}\n}}\n"
            ),
        );
        let out = tf.fail(&["plan", "-input=false", "-no-color"]);
        for word in *expected {
            assert!(
                text(&out).contains(word),
                "{word} not named:\n{}",
                text(&out)
            );
        }
    }
    assert_eq!(calls(&emu, "DescribeBackups"), 0);
}

fn polardb_no_wait(delete: &str) -> String {
    format!(
        "resource \"alicloud_polardb_backup\" \"b\" {{\n  db_cluster_id = \"{CLUSTER}\"\n  \
         wait_for_completion = false\n  timeouts {{\n    delete = \"{delete}\"\n  }}\n}}\n"
    )
}

/// A `wait_for_completion = false` backup survives the refresh right after its create, and a
/// later refresh, once it has finished, records its `backup_id` (also where running backups
/// are not listed and the job's ID is not the backup's).
#[test]
fn unwaited_backup_gets_its_id_later() {
    let emu = slow_emulator("3s");
    let tf = terraform("no-wait-id", &emu, &polardb_no_wait("2m"));
    tf.apply();
    tf.refresh_only();
    assert_eq!(resources(&tf).len(), 1, "the running backup left the state");
    let started = Instant::now();
    while emulator_backups(&emu, "polardb")
        .first()
        .is_none_or(|b| b["status"] != "Success")
    {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "never finished"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    tf.refresh_only();
    let values = resources(&tf)[0]["values"].clone();
    let backups = emulator_backups(&emu, "polardb");
    assert_eq!(values["backup_id"], backups[0]["id"], "{values}");
    assert_eq!(values["status"], "Success");
    assert_eq!(tf.plan_exit_code(), 0);
}

/// Destroying a backup that is still running waits for it and deletes it; with a delete
/// timeout shorter than the backup, destroy fails saying so and keeps it in the state.
#[test]
fn destroy_of_running_backup_waits_or_fails_clearly() {
    let emu = slow_emulator("4s");
    let tf = terraform("destroy-running", &emu, &polardb_no_wait("2m"));
    tf.apply();
    tf.destroy();
    assert!(emulator_backups(&emu, "polardb").is_empty(), "left behind");

    let emu = slow_emulator("60s");
    let tf = terraform("destroy-running-short", &emu, &polardb_no_wait("2s"));
    tf.apply();
    let out = tf.fail(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert!(text(&out).contains("still running"), "{}", text(&out));
    assert!(text(&out).contains("timeouts.delete"), "{}", text(&out));
    assert_eq!(resources(&tf).len(), 1, "a running backup left the state");
    assert_eq!(emulator_backups(&emu, "polardb").len(), 1);
}
