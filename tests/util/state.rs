//! What Terraform's state and the emulator hold, side by side: the managed resources, their
//! backup and job IDs, and the emulator's backups and request counts.

use serde_json::Value;

use super::emulator::Emulator;
use super::terraform::Terraform;

/// The managed resources in state (`terraform show -json`).
pub fn resources(tf: &Terraform) -> Vec<Value> {
    let state = tf.show_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r["mode"] == "managed")
        .collect()
}

/// The backup IDs (`backup_id` or `backup_set_id`) of every managed resource in state, sorted.
pub fn backup_ids_in_state(tf: &Terraform) -> Vec<String> {
    ids_in_state(tf, "backup_id")
}

/// The job of every backup in state, sorted: PolarDB's `backup_job_id` (known from the
/// moment CreateBackup answered, unlike `backup_id` where running backups are not listed) or
/// PolarDB-X's `backup_set_id`.
pub fn job_ids_in_state(tf: &Terraform) -> Vec<String> {
    ids_in_state(tf, "backup_job_id")
}

/// PolarDB's `polardb_attr` or else PolarDB-X's `backup_set_id` of every managed resource in
/// state, sorted.
fn ids_in_state(tf: &Terraform, polardb_attr: &str) -> Vec<String> {
    let mut ids: Vec<String> = resources(tf)
        .iter()
        .map(|r| {
            let v = &r["values"];
            v[polardb_attr]
                .as_str()
                .or(v["backup_set_id"].as_str())
                .unwrap_or("")
                .to_string()
        })
        .collect();
    ids.sort();
    ids
}

/// The job of every backup the emulator holds (both products), sorted. A PolarDB-X set is its
/// own job: its entry has no `job_id`.
pub fn job_ids_in_emulator(emu: &Emulator) -> Vec<String> {
    ids_in_emulator(emu, "job_id")
}

/// The IDs of every backup the emulator holds (both products), sorted.
pub fn backup_ids_in_emulator(emu: &Emulator) -> Vec<String> {
    ids_in_emulator(emu, "id")
}

/// `key` (or else `id`) of every backup the emulator holds, sorted.
fn ids_in_emulator(emu: &Emulator, key: &str) -> Vec<String> {
    let mut ids: Vec<String> = emu
        .backups()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|b| b[key].as_str().or(b["id"].as_str()).map(str::to_string))
        .collect();
    ids.sort();
    ids
}

/// The emulator's backups of one product.
pub fn emulator_backups(emu: &Emulator, product: &str) -> Vec<Value> {
    emu.backups()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|b| b["product"] == product)
        .collect()
}

/// How many requests the emulator logged for `action`.
pub fn calls(emu: &Emulator, action: &str) -> usize {
    emu.requests().as_array().map_or(0, |log| {
        log.iter().filter(|r| r["action"] == action).count()
    })
}

/// How many requests for `action` the emulator logged after the first CreateBackup: the
/// waiter's polls, without the plan-time check's listing (which comes before any create).
pub fn polls(emu: &Emulator, action: &str) -> usize {
    let log = emu.requests();
    let log = log.as_array().cloned().unwrap_or_default();
    log.iter()
        .skip_while(|r| r["action"] != "CreateBackup")
        .filter(|r| r["action"] == action)
        .count()
}
