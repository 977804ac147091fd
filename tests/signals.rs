//! Interruptions with the real `terraform`: SIGTERM to Terraform's whole process group while
//! backups are being waited on, and Ctrl-C in one command of a reattached (`--debug`) provider
//! followed by another command on the same process. See docs/reliability.md.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::emulator::{Emulator, CLUSTER};
use crate::util::process::providers_under;
use crate::util::state::{
    backup_ids_in_state, calls, job_ids_in_emulator, job_ids_in_state, polls, resources,
};
use crate::util::terraform::{Terraform, PROVIDER_ADDRESS};
use crate::util::{bin, text, wait_until};

/// A terraform directory whose provider block points at `emu` with its credentials.
fn terraform(name: &str, emu: &Emulator, config: &str) -> Terraform {
    let tf = Terraform::new(name);
    tf.write(
        "provider.tf",
        &format!(
            "provider \"alicloud\" {{\n  region     = \"cn-hangzhou\"\n  access_key = \"{}\"\n  \
             secret_key = \"{}\"\n  endpoints {{\n    polardb  = \"{2}\"\n    polardbx = \"{2}\"\n  }}\n}}\n",
            emu.access_key(),
            emu.secret(),
            emu.url()
        ),
    );
    tf.write("main.tf", config);
    tf
}

/// Sends `sig` (e.g. "-TERM") to the process group `pgid`.
fn kill_group(sig: &str, pgid: u32) {
    let ok = Command::new("kill")
        .args([sig, "--", &format!("-{pgid}")])
        .status()
        .expect("kill");
    assert!(ok.success(), "kill {sig} -{pgid}");
}

/// Waits for `child` to exit within `limit`, killing it otherwise; returns (output, time taken).
fn wait_bounded(child: Child, limit: Duration) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let pid = child.id();
    let guard = std::thread::spawn(move || {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                return;
            }
        }
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    });
    let out = child.wait_with_output().expect("wait");
    let took = started.elapsed();
    let _ = guard.join();
    assert!(took < limit, "did not exit within {limit:?}");
    (out, took)
}

const CLUSTERS: [&str; 5] = [
    "pc-sigterm00001",
    "pc-sigterm00002",
    "pc-sigterm00003",
    "pc-sigterm00004",
    "pc-sigterm00005",
];

/// SIGTERM to Terraform's process group (as a CI runner stops a job) while five PolarDB
/// backups are being waited on: Terraform and the provider exit, every backup in the emulator
/// is in the state, and the next plan creates nothing.
#[test]
fn sigterm_to_the_process_group_saves_every_backup() {
    let mut args = vec!["--backup-duration", "10m"];
    for c in CLUSTERS {
        args.extend(["--cluster", c]);
    }
    let emu = Emulator::start(&args);
    let clusters = CLUSTERS
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let tf = terraform(
        "sigterm",
        &emu,
        &format!(
            "locals {{\n  clusters = [{clusters}]\n}}\n\
             resource \"alicloud_polardb_backup\" \"b\" {{\n  count         = 5\n  \
             db_cluster_id = local.clusters[count.index]\n}}\n"
        ),
    );
    let child = apply_in_own_group(&tf);
    let pgid = child.id();
    // All five created and each waited on at least once.
    wait_until(
        "the five creates to start waiting",
        Duration::from_secs(120),
        || job_ids_in_emulator(&emu).len() >= 5 && calls(&emu, "DescribeBackups") >= 5,
    );
    kill_group("-TERM", pgid);
    let (out, took) = wait_bounded(child, Duration::from_secs(90));
    eprintln!(
        "SIGTERM: terraform exited {:?} {took:?} after the signal",
        out.status.code()
    );
    let reported = text(&out);
    assert!(!reported.contains("panic"), "{reported}");
    let in_emulator = job_ids_in_emulator(&emu);
    assert_eq!(in_emulator.len(), 5, "five backups were created");
    assert_eq!(
        job_ids_in_state(&tf),
        in_emulator,
        "every backup created is in the state:\n{reported}"
    );
    // No provider is left behind in the group.
    assert!(
        !std::path::Path::new(&format!("/proc/{pgid}")).exists(),
        "terraform is gone"
    );

    let plan = tf.ok(&["plan", "-input=false", "-no-color"]);
    let plan_text = text(&plan);
    assert!(
        !plan_text.contains("will be created") && !plan_text.contains("must be replaced"),
        "the next plan creates nothing:\n{plan_text}"
    );
    assert_eq!(calls(&emu, "CreateBackup"), 5, "no second backup");
}

/// SIGTERM to the provider alone (an orchestrator stopping processes one by one), before
/// Terraform calls StopProvider: the provider stops its waits itself and answers every create
/// before it exits, so all three backups reach the state and the next plan creates nothing.
#[test]
fn sigterm_to_the_provider_alone_saves_every_backup() {
    let clusters = &CLUSTERS[..3];
    let mut args = vec!["--backup-duration", "10m"];
    for c in clusters {
        args.extend(["--cluster", c]);
    }
    let emu = Emulator::start(&args);
    let list = clusters
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let tf = terraform(
        "sigterm-provider",
        &emu,
        &format!(
            "locals {{\n  clusters = [{list}]\n}}\n\
             resource \"alicloud_polardb_backup\" \"b\" {{\n  count         = 3\n  \
             db_cluster_id = local.clusters[count.index]\n}}\n"
        ),
    );
    let child = tf.spawn(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    wait_until(
        "the three creates to start waiting",
        Duration::from_secs(120),
        || job_ids_in_emulator(&emu).len() >= 3 && calls(&emu, "DescribeBackups") >= 3,
    );
    let providers = providers_under(child.id());
    assert_eq!(providers.len(), 1, "one provider process under terraform");
    let ok = Command::new("kill")
        .args(["-TERM", &providers[0].to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
    let (out, took) = wait_bounded(child, Duration::from_secs(90));
    eprintln!(
        "SIGTERM to the provider: terraform exited {:?} {took:?} after the signal",
        out.status.code()
    );
    let reported = text(&out);
    let in_emulator = job_ids_in_emulator(&emu);
    assert_eq!(in_emulator.len(), 3);
    assert_eq!(
        job_ids_in_state(&tf),
        in_emulator,
        "every backup created is in the state:\n{reported}"
    );
    let plan = text(&tf.ok(&["plan", "-input=false", "-no-color"]));
    assert!(
        !plan.contains("will be created") && !plan.contains("must be replaced"),
        "the next plan creates nothing:\n{plan}"
    );
}

/// Starts `terraform-provider-alicloud --debug` and returns it with its TF_REATTACH_PROVIDERS.
fn start_debug() -> (Child, String) {
    let mut child = Command::new(bin("terraform-provider-alicloud"))
        .arg("--debug")
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start --debug");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    for _ in 0..20 {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("read") == 0 {
            break;
        }
        if let Some(rest) = line.trim_end().strip_prefix("TF_REATTACH_PROVIDERS='") {
            let value = rest.strip_suffix('\'').expect("quoted").to_string();
            let v: serde_json::Value = serde_json::from_str(&value).expect("JSON");
            assert_eq!(v[PROVIDER_ADDRESS]["Pid"], child.id());
            return (child, value);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("no TF_REATTACH_PROVIDERS line");
}

/// One reattached provider serves two commands: Ctrl-C (SIGINT to Terraform's group; the
/// provider is not in it) stops the first command's wait with the ID saved, and the second
/// command's wait is not stopped by it: it waits for its backup to finish.
#[test]
fn reattached_provider_gives_each_command_its_own_stop_signal() {
    let emu = Emulator::start(&["--cluster", CLUSTER, "--backup-duration", "10m"]);
    let (mut provider, reattach) = start_debug();
    let config = format!(
        "resource \"alicloud_polardb_backup\" \"b\" {{\n  db_cluster_id = \"{CLUSTER}\"\n}}\n"
    );

    let first = terraform("reattach-first", &emu, &config).env("TF_REATTACH_PROVIDERS", &reattach);
    let child = apply_in_own_group(&first);
    let pgid = child.id();
    // A poll after the create: the plan-time quota check lists backups before it.
    wait_until(
        "the apply to poll DescribeBackups",
        Duration::from_secs(60),
        || polls(&emu, "DescribeBackups") > 0,
    );
    kill_group("-INT", pgid);
    let (out, took) = wait_bounded(child, Duration::from_secs(60));
    eprintln!("reattach: first apply exited {took:?} after Ctrl-C");
    let ids = backup_ids_in_state(&first);
    assert_eq!(
        ids.len(),
        1,
        "the first backup is in state:\n{}",
        text(&out)
    );
    assert!(
        provider.try_wait().expect("wait").is_none(),
        "the reattached provider outlives the command"
    );

    // The second command: backups now take 2 s, and its apply must wait for it.
    emu.settings(serde_json::json!({ "backup_duration_ms": 2000 }));
    let second =
        terraform("reattach-second", &emu, &config).env("TF_REATTACH_PROVIDERS", &reattach);
    let out = second.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let reported = text(&out);
    assert!(
        !reported.contains("Stopped waiting"),
        "the second command was stopped by the first one's Ctrl-C:\n{reported}"
    );
    let state = resources(&second);
    assert_eq!(state.len(), 1);
    assert_eq!(
        state[0]["values"]["status"], "Success",
        "the second apply waited for its backup:\n{reported}"
    );

    let _ = Command::new("kill")
        .args(["-INT", &provider.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && provider.try_wait().expect("wait").is_none() {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = provider.kill();
}

/// Starts `terraform apply` of `tf` in a process group of its own (as a terminal runs it, so
/// Ctrl-C reaches Terraform and the provider alike).
fn apply_in_own_group(tf: &Terraform) -> Child {
    let mut apply = tf.cmd(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    apply.cmd().process_group(0);
    apply.spawn()
}

/// Polls `ready` until it holds; fails with Terraform's output if Terraform exits first, or
/// after two minutes.
fn wait_for(child: &mut Child, what: &str, ready: impl Fn() -> bool) {
    let started = Instant::now();
    while !ready() {
        if let Some(status) = child.try_wait().expect("try_wait") {
            let mut out = String::new();
            if let Some(mut pipe) = child.stdout.take() {
                let _ = pipe.read_to_string(&mut out);
            }
            if let Some(mut pipe) = child.stderr.take() {
                let _ = pipe.read_to_string(&mut out);
            }
            panic!("terraform exited ({status}) before {what}:\n{out}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "waited 2 minutes for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Ctrl-C to the process group `pgid` of `child` (Terraform): waits up to a minute for it to
/// exit and returns its output, the time from the signal to its exit, and its text.
fn ctrl_c(child: Child, pgid: u32, during: &str) -> (std::process::Output, Duration, String) {
    let interrupted = Instant::now();
    kill_group("-INT", pgid);
    let (out, _) = wait_bounded(child, Duration::from_secs(60));
    let took = interrupted.elapsed();
    eprintln!("Ctrl-C during {during}: terraform exited {took:?} after the signal");
    let reported = text(&out);
    (out, took, reported)
}

/// Ctrl-C (SIGINT to Terraform's process group) while every CreateBackup is throttled: the
/// provider's backoff ends at once instead of retrying for `max_retry_timeout` (5 minutes), so
/// Terraform exits within seconds; nothing was created, and the error says the provider was
/// asked to stop.
#[test]
fn ctrl_c_during_a_throttled_create_exits_in_seconds() {
    let emu = Emulator::start(&["--cluster", CLUSTER]);
    emu.set_faults(serde_json::json!({"CreateBackup": {"throttle_rate": 1.0}}));
    let tf = terraform(
        "ctrl-c-throttled",
        &emu,
        &format!(
            "resource \"alicloud_polardb_backup\" \"b\" {{\n  db_cluster_id = \"{CLUSTER}\"\n}}\n"
        ),
    );
    let mut child = apply_in_own_group(&tf);
    let pgid = child.id();
    // Throttled at least twice: the provider is in its backoff.
    wait_for(&mut child, "CreateBackup was retried", || {
        calls(&emu, "CreateBackup") >= 2
    });
    let (out, took, reported) = ctrl_c(child, pgid, "a throttled create");
    assert!(
        !out.status.success(),
        "the apply was interrupted:\n{reported}"
    );
    assert!(!reported.contains("panic"), "{reported}");
    assert!(
        took < Duration::from_secs(30),
        "Ctrl-C took {took:?} (the retry budget is 5 minutes):\n{reported}"
    );
    let flat = reported.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("the provider was asked to stop"),
        "the error says why the create ended:\n{reported}"
    );
    assert!(
        job_ids_in_emulator(&emu).is_empty(),
        "nothing was created while throttled"
    );
    assert!(job_ids_in_state(&tf).is_empty(), "nothing is in the state");
}

/// Ctrl-C while a created backup is being waited on: the wait ends at once, Terraform exits
/// within seconds, and the backup's ID is in the state (the next plan creates nothing).
#[test]
fn ctrl_c_during_a_wait_exits_in_seconds_with_the_id_saved() {
    let emu = Emulator::start(&["--cluster", CLUSTER, "--backup-duration", "10m"]);
    let tf = terraform(
        "ctrl-c-wait",
        &emu,
        &format!(
            "resource \"alicloud_polardb_backup\" \"b\" {{\n  db_cluster_id = \"{CLUSTER}\"\n}}\n"
        ),
    );
    let mut child = apply_in_own_group(&tf);
    let pgid = child.id();
    wait_for(&mut child, "the create started waiting", || {
        !job_ids_in_emulator(&emu).is_empty() && calls(&emu, "DescribeBackups") >= 1
    });
    let (_, took, reported) = ctrl_c(child, pgid, "a wait");
    assert!(!reported.contains("panic"), "{reported}");
    assert!(
        took < Duration::from_secs(30),
        "Ctrl-C took {took:?}:\n{reported}"
    );
    let in_emulator = job_ids_in_emulator(&emu);
    assert_eq!(in_emulator.len(), 1, "one backup was created");
    assert_eq!(
        job_ids_in_state(&tf),
        in_emulator,
        "its ID is in the state:\n{reported}"
    );
}
