//! `scripts/install.sh`: the implied local mirror, offline `terraform init`, and an apply
//! through the installed provider.

use std::process::Command;

use crate::util::emulator::{self as emu_util, Emulator};
use crate::util::{bin, run_ok, TempDir};

use super::*;

/// install.sh with a temporary HOME puts the binary in the implied local mirror; `terraform
/// init` of the quickstart then finds it with no CLI config and no network, and the lock file
/// records the provider, its version and the hash of exactly the installed binary.
#[test]
fn install_script_then_init_offline_without_cli_config() {
    let tmp = TempDir::new("dist-install");
    let home = tmp.path().join("home");
    let provider = bin("terraform-provider-alicloud");
    let stdout = run_script(
        "install.sh",
        &home,
        &["--binary", provider.to_str().expect("utf-8 path")],
    );

    let installed = home
        .join(".terraform.d/plugins")
        .join(SOURCE)
        .join(VERSION)
        .join(platform())
        .join(inner_binary_name());
    assert!(
        installed.is_file(),
        "install.sh did not create {}; it said:\n{stdout}",
        installed.display()
    );
    let bytes = std::fs::read(&installed).expect("read installed binary");
    assert_eq!(
        bytes,
        std::fs::read(&provider).expect("read built binary"),
        "installed binary differs from the one given"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&installed)
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "installed binary is not executable");
    }

    let cli = empty_cli_config(&tmp);
    let work = quickstart_in(tmp.path());
    run_ok(terraform(&home, &cli, &work).args(["init", "-input=false", "-no-color"]));

    let locked = locked_provider(&work);
    assert_eq!(locked.version, VERSION, "lock file version");
    let expected = h1_of_single_file(&inner_binary_name(), &bytes);
    assert!(
        locked.hashes.contains(&expected),
        "lock file hashes {:?} lack the installed binary's {expected}",
        locked.hashes
    );
}

/// The emulator's endpoints and AccessKey for a terraform command, with the proxy bypassed for
/// loopback only (the registry stays unreachable) and the machine's own credentials removed.
fn against_emulator<'a>(cmd: &'a mut Command, emu: &Emulator) -> &'a mut Command {
    for (var, _) in std::env::vars_os() {
        let name = var.to_string_lossy();
        if name.starts_with("ALICLOUD_") || name.starts_with("ALIBABA_CLOUD_") {
            cmd.env_remove(&var);
        }
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("ALIBABA_CLOUD_ENDPOINT_POLARDB", emu.url())
        .env("ALIBABA_CLOUD_ENDPOINT_POLARDBX", emu.polardbx_endpoint())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", emu.access_key())
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", emu.secret())
        .env("ALIBABA_CLOUD_REGION", "cn-hangzhou")
        .env("TF_VAR_db_cluster_id", emu_util::CLUSTER)
        .env("TF_VAR_db_instance_name", emu_util::INSTANCE)
}

/// The README's path for real use, end to end: install.sh, then `terraform init` with no CLI
/// config and no network, then the quickstart applies against the emulator through the
/// installed binary (no dev_overrides), its backups exist in the emulator with the IDs in the
/// outputs, a second plan is empty, and destroy deletes the PolarDB backup.
#[test]
fn installed_provider_applies_the_quickstart_against_the_emulator() {
    let emu = Emulator::start_default();
    let tmp = TempDir::new("dist-apply");
    let home = tmp.path().join("home");
    let provider = bin("terraform-provider-alicloud");
    run_script(
        "install.sh",
        &home,
        &["--binary", provider.to_str().expect("utf-8 path")],
    );
    let cli = empty_cli_config(&tmp);
    let work = quickstart_in(tmp.path());
    let tf = |args: &[&str]| {
        let mut cmd = terraform(&home, &cli, &work);
        against_emulator(&mut cmd, &emu).args(args);
        cmd
    };

    run_ok(&mut tf(&["init", "-input=false", "-no-color"]));
    assert_eq!(locked_provider(&work).version, VERSION);
    let out = run_ok(&mut tf(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("development overrides"),
        "apply ran through dev_overrides, not the installed provider:\n{stdout}"
    );

    let out = run_ok(&mut tf(&["output", "-json"]));
    let outputs: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("terraform output -json");
    let polardb_id = outputs["polardb_backup_id"]["value"]
        .as_str()
        .expect("polardb_backup_id output")
        .to_string();
    let polardbx_id = outputs["polardbx_backup_set_id"]["value"]
        .as_str()
        .expect("polardbx_backup_set_id output")
        .to_string();
    assert_eq!(
        outputs["resource_ids"]["value"]["polardb"],
        format!("{}:{polardb_id}", emu_util::CLUSTER)
    );
    assert_eq!(
        outputs["resource_ids"]["value"]["polardbx"],
        format!("cn-hangzhou:{}:{polardbx_id}", emu_util::INSTANCE)
    );
    let backups = emu.backups();
    let find = |product: &str, id: &str| {
        backups
            .as_array()
            .expect("backups list")
            .iter()
            .find(|b| b["product"] == product && b["id"] == id)
            .cloned()
    };
    let pb = find("polardb", &polardb_id).expect("the PolarDB backup exists in the emulator");
    assert_eq!(pb["db_cluster_id"], emu_util::CLUSTER);
    assert_eq!(pb["status"], "Success", "apply waited for completion");
    let px = find("polardbx", &polardbx_id).expect("the PolarDB-X backup set exists");
    assert_eq!(px["db_instance_name"], emu_util::INSTANCE);
    assert_eq!(px["status"], "Success");

    let plan = tf(&["plan", "-detailed-exitcode", "-input=false", "-no-color"])
        .output()
        .expect("run terraform plan");
    assert_eq!(
        plan.status.code(),
        Some(0),
        "second plan is not empty:\n{}{}",
        String::from_utf8_lossy(&plan.stdout),
        String::from_utf8_lossy(&plan.stderr)
    );

    run_ok(&mut tf(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ]));
    let after = emu.backups();
    let ids: Vec<&serde_json::Value> = after
        .as_array()
        .expect("backups list")
        .iter()
        .filter(|b| b["product"] == "polardb")
        .map(|b| &b["id"])
        .collect();
    assert!(
        ids.is_empty(),
        "destroy left PolarDB backups behind: {ids:?}"
    );
}
