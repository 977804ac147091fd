//! `scripts/demo.sh`, the README's demo command: end to end, and its clean-up on failure.

use std::process::Command;

use crate::util::{bin, run_ok, TempDir};

use super::*;

/// The emulator's pid from the demo's `emulator at URL (pid N)` line.
fn demo_emulator_pid(stdout: &str) -> u32 {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("emulator at "))
        .and_then(|l| l.split("(pid ").nth(1))
        .and_then(|p| p.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("the demo did not print the emulator's pid:\n{stdout}"))
}

/// Whether a process with this pid exists (`kill -0`).
fn is_running(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `scripts/demo.sh` (with the binaries cargo built for the tests, so no nested cargo) applies
/// the quickstart against the emulator, shows the outputs, plans no changes, destroys, and
/// exits 0, leaving no emulator process behind.
#[test]
fn demo_script_runs_end_to_end() {
    let tmp = TempDir::new("dist-demo");
    let bin_dir = bin("terraform-provider-alicloud");
    let bin_dir = bin_dir.parent().expect("binary has a directory");
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("scripts/demo.sh"))
        .env("DEMO_BIN_DIR", bin_dir)
        .env("TMPDIR", tmp.path())
        .env_remove("KEEP_DEMO_DIR");
    let out = run_ok(&mut cmd);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "Apply complete! Resources: 2 added",
        "polardb_backup_id = ",
        "polardbx_backup_set_id = ",
        "No changes. Your infrastructure matches the configuration.",
        "Destroy complete! Resources: 2 destroyed.",
    ] {
        assert!(
            stdout.contains(expected),
            "demo output lacks {expected:?}:{}",
            crate::util::describe(&cmd, &out)
        );
    }
    let pid = demo_emulator_pid(&stdout);
    assert!(
        !is_running(pid),
        "the demo left its emulator (pid {pid}) running"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("read TMPDIR")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "the demo left files in TMPDIR: {left:?}");
}

/// When a step fails (here a provider binary that cannot start), the demo exits non-zero, says
/// so, and still stops its emulator and removes its work directory.
#[test]
fn demo_script_fails_loudly_and_cleans_up() {
    let tmp = TempDir::new("dist-demo-fail");
    let bins = tmp.path().join("bin");
    std::fs::create_dir_all(&bins).expect("create bin dir");
    std::fs::copy(bin("alicloud-emulator"), bins.join("alicloud-emulator")).expect("copy");
    let fake = tmp.write(
        "bin/terraform-provider-alicloud",
        "#!/bin/sh\necho 'this provider is broken' >&2\nexit 1\n",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let tmpdir = tmp.path().join("tmp");
    std::fs::create_dir_all(&tmpdir).expect("create tmp");
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("scripts/demo.sh"))
        .env("DEMO_BIN_DIR", &bins)
        .env("TMPDIR", &tmpdir)
        .env_remove("KEEP_DEMO_DIR");
    let out = crate::util::run_fail(&mut cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("demo FAILED"),
        "{}",
        crate::util::describe(&cmd, &out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let pid = demo_emulator_pid(&stdout);
    assert!(
        !is_running(pid),
        "the failed demo left its emulator (pid {pid}) running"
    );
    let left = std::fs::read_dir(&tmpdir).expect("read tmp").count();
    assert_eq!(left, 0, "the failed demo left its work directory behind");
}
