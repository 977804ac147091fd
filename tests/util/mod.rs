//! The test harness: a temp dir per test, and commands whose failures explain themselves.

#![allow(dead_code)]

pub mod command;
pub mod config;
pub mod emulator;
pub mod in_process;
pub mod plugin;
pub mod plugin_client;
pub mod process;
pub mod soak;
pub mod state;
pub mod terraform;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use command::{describe_output, TestCommand};

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
    describe_output(cmd, out, "see the assertion")
}

/// Runs `cmd` and returns its output; panics with the whole story when it does not succeed.
pub fn run_ok(cmd: &mut Command) -> Output {
    take(cmd).ok()
}

/// Runs `cmd` and returns its output; panics with the whole story when it succeeds.
pub fn run_fail(cmd: &mut Command) -> Output {
    take(cmd).fail()
}

/// A [`TestCommand`] running what `cmd` describes (program, arguments, variables, directory).
fn take(cmd: &mut Command) -> TestCommand {
    let mut copy = Command::new(cmd.get_program());
    copy.args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => copy.env(k, v),
            None => copy.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        copy.current_dir(dir);
    }
    TestCommand::new(copy)
}

/// A finished command's stdout, as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A finished command's stderr, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A finished command's stdout and stderr, as one text.
pub fn text(out: &Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

/// Polls `done` every 100 ms until it holds; panics naming `what` after `limit` (give a bound
/// generous enough for a loaded 2-core machine: it only stops a hung test).
pub fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < limit,
            "waited {limit:?} for {what}, in vain"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
