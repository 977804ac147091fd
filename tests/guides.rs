//! The recipes of docs/guides/, applied as their examples (examples/guides/) against the
//! emulator through the real `terraform`.

use std::path::PathBuf;

use crate::util::config::provider_block;
use crate::util::emulator::{Emulator, CLUSTER};
use crate::util::state::{backup_ids_in_state, calls, emulator_backups};
use crate::util::terraform::Terraform;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A terraform directory holding `examples/guides/<name>/main.tf` (which declares the provider
/// itself), the provider block for `emu`, and `tfvars`.
fn recipe(name: &str, emu: &Emulator, tfvars: &str) -> Terraform {
    let tf = Terraform::new(&format!("guide-{name}"));
    let _ = std::fs::remove_file(tf.path().join("zz_provider_source.tf"));
    let main = std::fs::read_to_string(repo().join(format!("examples/guides/{name}/main.tf")))
        .expect("read the example");
    tf.write("main.tf", &main);
    tf.write("provider.tf", &provider_block(emu));
    tf.write("terraform.tfvars", tfvars);
    tf
}

fn polardb_ids(emu: &Emulator) -> Vec<String> {
    let mut ids: Vec<String> = emulator_backups(emu, "polardb")
        .iter()
        .filter_map(|b| b["id"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

/// A new schema version replaces the pre-migration backup (one new backup, the old one gone);
/// the same version changes nothing.
#[test]
fn backup_before_every_migration() {
    let emu = Emulator::start_default();
    let vars = |v: &str| format!("db_cluster_id = \"{CLUSTER}\"\nschema_version = \"{v}\"\n");
    let tf = recipe("backup_before_migration", &emu, &vars("41"));
    tf.apply();
    let first = polardb_ids(&emu);
    assert_eq!(first.len(), 1);
    assert_eq!(tf.plan_exit_code(), 0);
    tf.write("terraform.tfvars", &vars("42"));
    tf.apply();
    let second = polardb_ids(&emu);
    assert_eq!(second.len(), 1);
    assert_ne!(first, second, "a fresh backup before migration 42");
    assert_eq!(calls(&emu, "CreateBackup"), 2);
}

/// Five days of rotation: three backups after the first day, one replaced each day after,
/// never a fourth, state naming exactly the cluster's backups, and the quota check never fails
/// a plan.
///
/// The "days" are a few seconds apart, not a day: apart enough that a replacement does not
/// start in the same second as the backups it sits beside. Within one second, where the
/// `strict` dialect reports no `Comment` and answers job IDs, a replacement's job could be
/// matched to a neighbour's backup (docs/api-notes.md, point 1), which a real daily rotation
/// cannot meet.
#[test]
fn daily_rotation_within_the_quota() {
    let emu = Emulator::start_default();
    let vars = |day: u32| format!("db_cluster_id = \"{CLUSTER}\"\nday = {day}\n");
    let tf = recipe("daily_rotation", &emu, &vars(20_000));
    tf.apply();
    assert_eq!(polardb_ids(&emu).len(), 3);
    assert_eq!(backup_ids_in_state(&tf), polardb_ids(&emu), "day 20000");
    let mut before = polardb_ids(&emu);
    for day in 20_001..20_005 {
        std::thread::sleep(std::time::Duration::from_millis(2100));
        tf.write("terraform.tfvars", &vars(day));
        tf.apply();
        let now = polardb_ids(&emu);
        assert_eq!(now.len(), 3, "day {day}: {now:?}");
        assert_eq!(
            backup_ids_in_state(&tf),
            now,
            "day {day}: state and cluster"
        );
        let kept = now.iter().filter(|id| before.contains(id)).count();
        assert_eq!(kept, 2, "day {day}: exactly one replaced");
        before = now;
    }
    assert_eq!(calls(&emu, "CreateBackup"), 3 + 4);
}

/// The final backup outlives `terraform destroy` and the cluster's release: the singular
/// data source finds it among the released cluster's kept backups.
#[test]
fn final_backup_outlives_the_cluster() {
    let emu = Emulator::start_default();
    let tf = recipe(
        "final_backup",
        &emu,
        &format!("db_cluster_id = \"{CLUSTER}\"\n"),
    );
    tf.apply();
    let kept = polardb_ids(&emu);
    tf.destroy();
    assert_eq!(polardb_ids(&emu), kept, "destroy kept the backup");
    emu.set_cluster(CLUSTER, "Released");
    let look = Terraform::new("guide-final-lookup");
    look.write("provider.tf", &provider_block(&emu));
    look.write(
        "main.tf",
        &format!(
            "data \"alicloud_polardb_backup\" \"final\" {{\n  db_cluster_id = \"{CLUSTER}\"\n  include_detached = true\n  most_recent = true\n}}\noutput \"id\" {{ value = data.alicloud_polardb_backup.final.backup_id }}\noutput \"detached\" {{ value = data.alicloud_polardb_backup.final.detached }}\n"
        ),
    );
    look.apply();
    let out = look.json(&["output", "-json"]);
    assert_eq!(out["id"]["value"], kept[0].as_str());
    assert_eq!(out["detached"]["value"], true);
}

/// The guide's configuration names both providers under different local names (checked
/// offline with `terraform providers`), and its data source finds the latest backup.
#[test]
fn beside_the_official_provider() {
    let doc = std::fs::read_to_string(repo().join("docs/guides/beside-official-provider.md"))
        .expect("read the guide");
    let config = doc
        .split("```terraform\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the guide's configuration");
    let emu = Emulator::start_default();
    let tf = Terraform::new("guide-beside");
    let _ = std::fs::remove_file(tf.path().join("zz_provider_source.tf"));
    tf.write("main.tf", config);
    let out = tf.ok(&["providers", "-no-color"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("provider[registry.terraform.io/polardb-tools/alicloud]"),
        "{text}"
    );
    assert!(
        text.contains("provider[registry.terraform.io/aliyun/alicloud]"),
        "{text}"
    );

    // This provider's half against the emulator (the official provider cannot be installed
    // offline): the data source the clone reads.
    let backup = Terraform::new("guide-beside-ours");
    backup.write("provider.tf", &provider_block(&emu));
    backup.write(
        "main.tf",
        &format!(
            "resource \"alicloud_polardb_backup\" \"b\" {{\n  db_cluster_id = \"{CLUSTER}\"\n}}\n"
        ),
    );
    backup.apply();
    let ours: String = config
        .lines()
        .skip_while(|l| !l.starts_with("data \"alicloud_polardb_backup\""))
        .take_while(|l| !l.starts_with("resource "))
        .collect::<Vec<_>>()
        .join("\n");
    backup.write(
        "lookup.tf",
        &format!(
            "variable \"db_cluster_id\" {{\n  default = \"{CLUSTER}\"\n}}\n{ours}\noutput \"clone_data_point\" {{ value = data.alicloud_polardb_backup.latest.backup_id }}\n"
        ),
    );
    backup.apply();
    let out = backup.json(&["output", "-json"]);
    assert_eq!(
        out["clone_data_point"]["value"],
        polardb_ids(&emu)[0].as_str()
    );
}
