//! Processes seen from outside: which provider processes a terraform run started, and signals.

use std::process::Command;

/// The pids of `terraform-provider-alicloud` processes whose parent is `parent`, from /proc.
pub fn providers_under(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let status = std::fs::read_to_string(e.path().join("status")).ok()?;
            let ppid: u32 = status
                .lines()
                .find_map(|l| l.strip_prefix("PPid:"))?
                .trim()
                .parse()
                .ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let provider =
                String::from_utf8_lossy(&cmdline).contains("terraform-provider-alicloud");
            (ppid == parent && provider).then_some(pid)
        })
        .collect()
}

/// Sends `signal` (e.g. `-INT`, `-KILL`) to `pid` with kill(1); a kill that fails fails the test.
pub fn signal(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap_or_else(|e| panic!("could not run kill {signal} {pid}: {e}"));
    assert!(status.success(), "kill {signal} {pid} exited {status}");
}
