//! The test harness: a temp dir per test, and commands whose failures explain themselves.

#![allow(dead_code)]

pub mod emulator;
pub mod plugin_client;
pub mod terraform;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// A directory that is removed when dropped (kept when `KEEP_TEST_DIRS` is set).
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A fresh directory named after the test.
    pub fn new(name: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("tpa-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `contents` to `name` inside the directory and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.path.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&p, contents).expect("write file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The path of a binary of this package, built by cargo for the tests. `TEST_PROVIDER_BINARY`
/// replaces the provider (scripts/cross-check.sh points it at a cross-built binary run under
/// an emulator).
pub fn bin(name: &str) -> PathBuf {
    match name {
        "terraform-provider-alicloud" => std::env::var_os("TEST_PROVIDER_BINARY")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-alicloud"))),
        "alicloud-emulator" => PathBuf::from(env!("CARGO_BIN_EXE_alicloud-emulator")),
        other => panic!("unknown binary {other}"),
    }
}

/// Describes a finished command for an assertion message: command, dir, status, stdout, stderr.
pub fn describe(cmd: &Command, out: &Output) -> String {
    format!(
        "\n--- command: {:?}\n--- dir: {:?}\n--- status: {}\n--- stdout:\n{}\n--- stderr:\n{}\n",
        cmd,
        cmd.get_current_dir(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `cmd` and returns its output; panics with [`describe`] when it does not succeed.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "command failed:{}",
        describe(cmd, &out)
    );
    out
}

/// Runs `cmd` and returns its output; panics with [`describe`] when it succeeds.
pub fn run_fail(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"));
    assert!(
        !out.status.success(),
        "command unexpectedly succeeded:{}",
        describe(cmd, &out)
    );
    out
}
