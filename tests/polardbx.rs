//! PolarDB-X backups through the real `terraform`: concurrent creates of one instance, regions
//! checked against the region list, import that verifies the backup set, honest timeouts.

use crate::util::config::terraform;
use crate::util::emulator::{Emulator, INSTANCE};
use crate::util::state::{calls, emulator_backups, resources};
use crate::util::stderr;
use crate::util::terraform::Terraform;

/// Terraform's stderr as one line: the diagnostic box's bars gone and wrapped lines joined, so
/// that a phrase is found wherever Terraform broke it.
fn flat_stderr(out: &std::process::Output) -> String {
    stderr(out)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `count` PolarDB-X backups of [`INSTANCE`].
fn backups_of_instance(count: usize) -> String {
    format!(
        "resource \"alicloud_polardbx_backup\" \"b\" {{\n  count = {count}\n  \
         db_instance_name = \"{INSTANCE}\"\n}}\n"
    )
}

/// Creates of one instance overlap: with each CreateBackup answered after 1 s, some two
/// backup sets begin less than 1 s apart (creates that took turns could not), and every set is
/// in state exactly once.
#[test]
fn creates_of_one_instance_overlap() {
    let emu = Emulator::start_default();
    emu.set_faults(serde_json::json!({
        "CreateBackup": { "latency_ms_min": 1000, "latency_ms_max": 1000 }
    }));
    let tf = terraform("polardbx-overlap", &emu, &backups_of_instance(6));
    tf.apply();
    let sets = emulator_backups(&emu, "polardbx");
    assert_eq!(sets.len(), 6, "{sets:?}");
    let mut starts: Vec<i64> = sets.iter().filter_map(|s| s["start_ms"].as_i64()).collect();
    starts.sort_unstable();
    let closest = starts
        .windows(2)
        .map(|w| w[1] - w[0])
        .min()
        .unwrap_or(i64::MAX);
    assert!(
        closest < 1000,
        "creates took turns: begin times {starts:?} are at least 1 s apart"
    );
    let mut in_state: Vec<String> = resources(&tf)
        .iter()
        .filter_map(|r| r["values"]["backup_set_id"].as_str().map(str::to_string))
        .collect();
    let mut in_emulator: Vec<String> = sets
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .collect();
    in_state.sort();
    in_emulator.sort();
    assert_eq!(in_state, in_emulator);
}

/// The plan of `alicloud_polardbx_backups` on [`INSTANCE`] with the extra `arguments`, which
/// must fail; returns its stderr on one line.
fn data_source_plan_fails(name: &str, emu: &Emulator, arguments: &str) -> String {
    let config = format!(
        "data \"alicloud_polardbx_backups\" \"x\" {{\n  db_instance_name = \"{INSTANCE}\"\n  \
         {arguments}\n}}\n"
    );
    let tf = terraform(name, emu, &config);
    let out = tf.fail(&["plan", "-input=false", "-no-color"]);
    flat_stderr(&out)
}

/// A misspelt `region_id` in the data source is refused before any call, naming the
/// attribute, although the endpoint override would have sent the call anywhere.
#[test]
fn data_source_region_typo_is_refused() {
    let emu = Emulator::start_default();
    let err = data_source_plan_fails("polardbx-ds-region", &emu, "region_id = \"cn-hangzou\"");
    assert!(err.contains("region_id"), "{err}");
    assert!(err.contains("\"cn-hangzou\" is not a region"), "{err}");
    assert_eq!(calls(&emu, "DescribeBackupSetList"), 0);
}

/// A misspelt `region_id` in the resource fails the plan, naming the attribute; nothing is
/// created.
#[test]
fn resource_region_typo_is_refused_at_plan() {
    let emu = Emulator::start_default();
    let config = format!(
        "resource \"alicloud_polardbx_backup\" \"b\" {{\n  db_instance_name = \"{INSTANCE}\"\n  \
         region_id = \"cn-hangzou\"\n}}\n"
    );
    let tf = terraform("polardbx-res-region", &emu, &config);
    let out = tf.fail(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let err = flat_stderr(&out);
    assert!(err.contains("region_id"), "{err}");
    assert!(err.contains("\"cn-hangzou\" is not a region"), "{err}");
    assert_eq!(calls(&emu, "CreateBackup"), 0);
    assert!(emulator_backups(&emu, "polardbx").is_empty());
}

/// Applies the configuration (one backup set as `b[0]`), removes it from state, and returns its
/// set ID: the set exists, but Terraform no longer knows it.
fn apply_then_forget(tf: &Terraform) -> String {
    tf.apply();
    let set_id = resources(tf)[0]["values"]["backup_set_id"]
        .as_str()
        .expect("set id")
        .to_string();
    tf.ok(&["state", "rm", "alicloud_polardbx_backup.b[0]"]);
    set_id
}

/// `terraform import` of `id` as `b[0]`, which must fail; returns its stderr on one line.
fn import_fails(tf: &Terraform, id: &str) -> String {
    let out = tf.fail(&["import", "-no-color", "alicloud_polardbx_backup.b[0]", id]);
    flat_stderr(&out)
}

/// Import refuses a misspelt region in the ID and an ID that names no backup set (saying
/// which), and imports one that exists with its values filled in.
#[test]
fn import_checks_region_and_existence() {
    let emu = Emulator::start_default();
    let tf = terraform("polardbx-import", &emu, &backups_of_instance(1));
    let set_id = apply_then_forget(&tf);

    let typo = format!("cn-hangzou:{INSTANCE}:{set_id}");
    let err = import_fails(&tf, &typo);
    assert!(err.contains("\"cn-hangzou\" is not a region"), "{err}");

    let missing = format!("cn-hangzhou:{INSTANCE}:999999");
    let err = import_fails(&tf, &missing);
    assert!(err.contains("no backup set 999999"), "{err}");
    assert!(
        err.contains(INSTANCE) && err.contains("cn-hangzhou"),
        "{err}"
    );

    let good = format!("cn-hangzhou:{INSTANCE}:{set_id}");
    tf.ok(&[
        "import",
        "-no-color",
        "alicloud_polardbx_backup.b[0]",
        &good,
    ]);
    let state = resources(&tf);
    assert_eq!(state.len(), 1);
    assert_eq!(state[0]["values"]["status"], "Success");
    assert_eq!(tf.plan_exit_code(), 0);
}

/// A create whose `timeouts.create` is "3s" reports that it was not finished after 3 s (the
/// time since the create began), and keeps the backup set in state.
#[test]
fn create_timeout_names_the_configured_duration() {
    let emu = Emulator::start(&["--instance", INSTANCE, "--backup-duration", "60s"]);
    let config = format!(
        "resource \"alicloud_polardbx_backup\" \"b\" {{\n  db_instance_name = \"{INSTANCE}\"\n  \
         timeouts {{\n    create = \"3s\"\n  }}\n}}\n"
    );
    let tf = terraform("polardbx-timeout", &emu, &config);
    let out = tf.fail(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let err = flat_stderr(&out);
    assert!(err.contains("not finished after 3s"), "{err}");
    assert_eq!(resources(&tf).len(), 1, "the created set must be in state");
    assert_eq!(emulator_backups(&emu, "polardbx").len(), 1);
}

/// A data-source window whose `start_time` is after its `end_time` is refused at plan, naming
/// both arguments, before any call.
#[test]
fn data_source_backwards_window_is_refused() {
    let emu = Emulator::start_default();
    let err = data_source_plan_fails(
        "polardbx-ds-window",
        &emu,
        "start_time = \"2025-02-01T00:00:00Z\"\n  end_time = \"2025-01-01T00:00:00Z\"",
    );
    assert!(err.contains("start_time is after end_time"), "{err}");
    assert_eq!(calls(&emu, "DescribeBackupSetList"), 0);
}

/// A create costs two calls when the backup set finishes within the first pause: CreateBackup
/// and one DescribeBackupSet (no check at once, which could only say Running).
#[test]
fn create_costs_two_calls() {
    let emu = Emulator::start_default();
    let tf = terraform("polardbx-two-calls", &emu, &backups_of_instance(1));
    tf.apply();
    assert_eq!(calls(&emu, "CreateBackup"), 1);
    assert_eq!(calls(&emu, "DescribeBackupSet"), 1);
    assert_eq!(resources(&tf)[0]["values"]["status"], "Success");
}

/// Under a server that caps pages at 5 and reports no total (`--strict page-cap`), the data
/// source lists all 12 backup sets, each once, reading past the short pages to an empty one.
#[test]
fn data_source_pages_past_capped_pages() {
    let emu = Emulator::start(&[
        "--instance",
        INSTANCE,
        "--backup-duration",
        "300ms",
        "--strict",
        "page-cap",
    ]);
    let config = format!(
        "{}data \"alicloud_polardbx_backups\" \"all\" {{\n  db_instance_name = \"{INSTANCE}\"\n  \
         depends_on = [alicloud_polardbx_backup.b]\n}}\n\
         output \"listed\" {{\n  value = data.alicloud_polardbx_backups.all.ids\n}}\n",
        backups_of_instance(12)
    );
    let tf = terraform("polardbx-page-cap", &emu, &config);
    tf.apply();
    let before = calls(&emu, "DescribeBackupSetList");
    let listed = tf.json(&["output", "-json", "listed"]);
    let mut ids: Vec<&str> = listed
        .as_array()
        .expect("a list of IDs")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(ids.len(), 12, "{listed}");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 12, "a set listed twice: {listed}");
    assert_eq!(before, 4, "pages of 5, 5, 2, then an empty one");
}

/// Import in a known region that is not the instance's (`--strict region-check`, where the
/// service finds nothing under another region) is refused, naming the region looked in.
#[test]
fn import_in_the_wrong_region_is_refused() {
    let emu = Emulator::start(&[
        "--instance",
        INSTANCE,
        "--backup-duration",
        "300ms",
        "--strict",
        "region-check",
    ]);
    let tf = terraform("polardbx-import-region", &emu, &backups_of_instance(1));
    let set_id = apply_then_forget(&tf);
    let elsewhere = format!("cn-beijing:{INSTANCE}:{set_id}");
    let err = import_fails(&tf, &elsewhere);
    assert!(
        err.contains(&format!(
            "{INSTANCE} in region cn-beijing has no backup set {set_id}"
        )),
        "{err}"
    );
    assert!(resources(&tf).is_empty(), "nothing may be imported");
}

/// Under a gateway that answers every other CreateBackup of an instance with a 502 after
/// committing it (`--strict gateway-502`), N creates leave exactly N backup sets, each in
/// state once: a 502 is adopted, never sent again blindly.
#[test]
fn gateway_502_creates_are_adopted() {
    let emu = Emulator::start(&[
        "--instance",
        INSTANCE,
        "--backup-duration",
        "300ms",
        "--strict",
        "gateway-502",
    ]);
    let tf = terraform("polardbx-gateway-502", &emu, &backups_of_instance(6));
    tf.apply();
    let log = emu.requests();
    let gateway_errors = log
        .as_array()
        .map_or(0, |l| l.iter().filter(|r| r["http_status"] == 502).count());
    assert!(gateway_errors >= 3, "the dialect answered no 502: {log}");
    let mut in_emulator: Vec<String> = emulator_backups(&emu, "polardbx")
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .collect();
    let mut in_state: Vec<String> = resources(&tf)
        .iter()
        .filter_map(|r| r["values"]["backup_set_id"].as_str().map(str::to_string))
        .collect();
    in_emulator.sort();
    in_state.sort();
    assert_eq!(
        in_emulator.len(),
        6,
        "a 502 was sent again: {in_emulator:?}"
    );
    assert_eq!(in_state, in_emulator, "state and cloud differ");
    assert_eq!(tf.plan_exit_code(), 0);
}
