//! Issue 11's leftovers through the real `terraform`: a PolarDB-X wait interrupted by Ctrl-C is
//! planned again in place, a timed-out backup on a full cluster resumes without the plan-time
//! quota refusing it, and a take-over whose plan-time checks would fail in the apply phase
//! still brings the handed-over backup back to state.

use std::process::{Output, Stdio};
use std::time::Duration;

use crate::util::config::terraform;
use crate::util::emulator::{Emulator, CLUSTER, INSTANCE};
use crate::util::process::signal;
use crate::util::state::{calls, emulator_backups, resources};
use crate::util::terraform::Terraform;
use crate::util::wait_until;

/// An emulator whose backups take `duration` (e.g. "8s").
fn slow_emulator(duration: &str) -> Emulator {
    Emulator::start(&[
        "--cluster",
        CLUSTER,
        "--instance",
        INSTANCE,
        "--backup-duration",
        duration,
    ])
}

fn text(out: &Output) -> String {
    crate::util::text(out).replace(['\n', '│'], " ")
}

fn polardb(name: &str, create: &str) -> String {
    format!(
        "resource \"alicloud_polardb_backup\" \"{name}\" {{\n  db_cluster_id = \"{CLUSTER}\"\n  \
         comment = \"{name}\"\n  timeouts {{\n    create = \"{create}\"\n  }}\n}}\n"
    )
}

fn polardbx(create: &str) -> String {
    format!(
        "resource \"alicloud_polardbx_backup\" \"b\" {{\n  db_instance_name = \"{INSTANCE}\"\n  \
         timeouts {{\n    create = \"{create}\"\n  }}\n}}\n"
    )
}

/// Whether the resource at `address` is in state and tainted.
fn tainted(tf: &Terraform, address: &str) -> bool {
    let pulled = tf.json(&["state", "pull"]);
    pulled["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            format!(
                "{}.{}",
                r["type"].as_str().unwrap_or(""),
                r["name"].as_str().unwrap_or("")
            ) == address
        })
        .any(|r| r["instances"][0]["status"] == "tainted")
}

/// PolarDB-X: Ctrl-C while the create waits saves the set with a warning; the next plan shows
/// an in-place update (not "No changes"), and that apply waits until the set has finished,
/// creating nothing.
#[test]
fn polardbx_interrupted_wait_is_planned_again() {
    let emu = slow_emulator("20s");
    let tf = terraform("resume-x-interrupt", &emu, &polardbx("2m"));
    let child = tf
        .command(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("terraform apply starts");
    wait_until("a wait to begin", Duration::from_secs(180), || {
        calls(&emu, "DescribeBackupSet") > 0
    });
    signal("-INT", child.id());
    let out = child.wait_with_output().expect("terraform apply ends");
    assert!(text(&out).contains("Stopped waiting"), "{}", text(&out));
    let state = resources(&tf);
    assert_eq!(state.len(), 1, "the interrupted set is not in state");
    assert_eq!(state[0]["values"]["status"], "Running", "{state:?}");
    let (sets, creates) = (
        emulator_backups(&emu, "polardbx").len(),
        calls(&emu, "CreateBackup"),
    );
    if Emulator::env_dialect() != "strict" {
        assert_eq!(sets, 1);
    }

    let plan = tf.plan_json();
    let change = &plan["resource_changes"][0]["change"];
    assert_eq!(change["actions"], serde_json::json!(["update"]), "{plan}");
    assert_eq!(change["after_unknown"]["status"], true, "{plan}");
    tf.apply();
    let state = resources(&tf);
    assert_eq!(state[0]["values"]["status"], "Success", "{state:?}");
    assert!(state[0]["values"]["end_time"].is_string(), "{state:?}");
    assert_eq!(emulator_backups(&emu, "polardbx").len(), sets);
    assert_eq!(
        calls(&emu, "CreateBackup"),
        creates,
        "a second set was made"
    );
    assert_eq!(tf.plan_exit_code(), 0, "still a change once finished");
}

/// A create timeout on a cluster already holding two manual backups (three with the timed-out
/// one): the next plan passes the quota check, and the apply takes the backup over with no
/// CreateBackup and no DeleteBackup.
#[test]
fn timed_out_backup_at_quota_resumes() {
    let emu = slow_emulator("8s");
    let others = terraform(
        "resume-quota-others",
        &emu,
        &format!("{}{}", polardb("o1", "2m"), polardb("o2", "2m")),
    );
    others.apply();
    let tf = terraform("resume-quota", &emu, &polardb("b", "2s"));
    let out = tf.fail(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(text(&out).contains("Timed out waiting"), "{}", text(&out));
    assert!(tainted(&tf, "alicloud_polardb_backup.b"));
    assert_eq!(emulator_backups(&emu, "polardb").len(), 3);
    let creates = calls(&emu, "CreateBackup");

    tf.write("main.tf", &polardb("b", "2m"));
    let out = tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(
        out.status.success(),
        "the resumed apply was refused: {}",
        text(&out)
    );
    assert!(!text(&out).contains("quota"), "{}", text(&out));
    assert_eq!(
        calls(&emu, "CreateBackup"),
        creates,
        "a CreateBackup was made"
    );
    assert_eq!(
        calls(&emu, "DeleteBackup"),
        0,
        "the running backup was deleted"
    );
    assert_eq!(emulator_backups(&emu, "polardb").len(), 3);
    let state = resources(&tf);
    assert_eq!(state[0]["values"]["status"], "Success", "{state:?}");
    assert!(!tainted(&tf, "alicloud_polardb_backup.b"));
}

/// A saved plan resumes a timed-out backup; the cluster stops before that plan is applied. The
/// apply phase's plan of the create, made after the delete half handed the backup over, would
/// have refused a create on a stopped cluster and lost the backup from state: it checks
/// nothing for a take-over, so the backup is waited for and saved, untainted.
#[test]
fn handed_over_backup_reaches_state_when_checks_would_fail() {
    let emu = slow_emulator("8s");
    let tf = terraform("resume-stopped", &emu, &polardb("b", "2s"));
    let out = tf.fail(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(text(&out).contains("Timed out waiting"), "{}", text(&out));
    let id = resources(&tf)[0]["values"]["id"].clone();

    tf.write("main.tf", &polardb("b", "2m"));
    tf.ok(&["plan", "-input=false", "-no-color", "-out=resume.tfplan"]);
    emu.set_cluster(CLUSTER, "Stopped");
    let out = tf.run(&["apply", "-input=false", "-no-color", "resume.tfplan"]);
    let state = resources(&tf);
    assert_eq!(state.len(), 1, "the backup left the state: {}", text(&out));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(state[0]["values"]["status"], "Success", "{state:?}");
    assert_eq!(calls(&emu, "CreateBackup"), 1);
    assert_eq!(emulator_backups(&emu, "polardb").len(), 1);
    let job = id
        .as_str()
        .unwrap_or_default()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        state[0]["values"]["backup_job_id"],
        job.as_str(),
        "{state:?}"
    );
}
