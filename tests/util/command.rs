//! One runner for every command a test starts (terraform, the provider, the emulator, scripts),
//! modelled on ripgrep's `TestCommand`: whatever goes wrong, the panic message says the command
//! line, its working directory, its exit status, its stdout and stderr, and what was expected.

use std::process::{Child, Command, Output, Stdio};

/// A command to run once, with what the test expects of it.
pub struct TestCommand {
    cmd: Command,
    expected: String,
}

impl TestCommand {
    /// Wraps `cmd`; the expectation defaults to what [`TestCommand::ok`] and the others check.
    pub fn new(cmd: Command) -> TestCommand {
        TestCommand {
            cmd,
            expected: String::new(),
        }
    }

    /// Says what the test expects (printed on failure), e.g. "the plan refuses the region".
    pub fn expect(mut self, expected: &str) -> TestCommand {
        self.expected = expected.to_string();
        self
    }

    /// The command itself, to add arguments, variables or pipes.
    pub fn cmd(&mut self) -> &mut Command {
        &mut self.cmd
    }

    /// Runs it and returns its output whatever the exit status; panics only when it cannot run.
    pub fn output(&mut self) -> Output {
        self.cmd.output().unwrap_or_else(|e| {
            panic!(
                "could not run the command ({e}):{}",
                describe_command(&self.cmd, &self.expected)
            )
        })
    }

    /// Starts it with stdout and stderr piped, for a test that signals it while it runs.
    pub fn spawn(&mut self) -> Child {
        self.cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start the command ({e}):{}",
                    describe_command(&self.cmd, &self.expected)
                )
            })
    }

    /// Runs it; panics with the whole story unless it exits 0.
    pub fn ok(&mut self) -> Output {
        self.status_in(&[0], "exit status 0")
    }

    /// Runs it; panics with the whole story unless it exits non-zero.
    pub fn fail(&mut self) -> Output {
        let out = self.output();
        if out.status.success() {
            panic!(
                "command unexpectedly succeeded:{}",
                self.describe(&out, "a non-zero exit status")
            );
        }
        out
    }

    /// Runs it; panics with the whole story unless its exit code is one of `codes`.
    pub fn status_in(&mut self, codes: &[i32], what: &str) -> Output {
        let out = self.output();
        if !out.status.code().is_some_and(|c| codes.contains(&c)) {
            panic!("command failed:{}", self.describe(&out, what));
        }
        out
    }

    /// Runs it (it must exit 0) and parses its stdout as JSON.
    pub fn json(&mut self) -> serde_json::Value {
        let out = self.ok();
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "command printed no JSON ({e}):{}",
                self.describe(&out, "JSON on stdout")
            )
        })
    }

    /// The account of a finished run of this command, for an assertion message.
    pub fn describe(&self, out: &Output, default_expected: &str) -> String {
        let expected = if self.expected.is_empty() {
            default_expected
        } else {
            &self.expected
        };
        describe_output(&self.cmd, out, expected)
    }
}

/// The command line and working directory of `cmd`, and what was expected of it.
pub fn describe_command(cmd: &Command, expected: &str) -> String {
    let dir = cmd
        .get_current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|| {
            std::env::current_dir()
                .map(|d| format!("{} (inherited)", d.display()))
                .unwrap_or_else(|_| "(inherited)".to_string())
        });
    format!("\n--- command: {cmd:?}\n--- dir: {dir}\n--- expected: {expected}\n")
}

/// [`describe_command`] plus the exit status, stdout and stderr of a finished run.
pub fn describe_output(cmd: &Command, out: &Output, expected: &str) -> String {
    format!(
        "{}--- status: {}\n--- stdout:\n{}\n--- stderr:\n{}\n",
        describe_command(cmd, expected),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A failing command's panic message holds its command line, directory, status, stdout,
/// stderr and what was expected.
#[test]
fn failure_message_tells_the_whole_story() {
    let dir = super::TempDir::new("command-story");
    let mut sh = Command::new("sh");
    sh.args(["-c", "echo to-stdout; echo to-stderr >&2; exit 3"])
        .current_dir(dir.path());
    let mut run = TestCommand::new(sh).expect("the script to succeed");
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.ok()))
        .expect_err("a failing command must panic");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    for part in [
        "\"sh\" \"-c\" \"echo to-stdout",
        &dir.path().display().to_string(),
        "exit status: 3",
        "to-stdout",
        "to-stderr",
        "--- expected: the script to succeed",
    ] {
        assert!(message.contains(part), "no {part:?} in:\n{message}");
    }
}

/// A command that cannot start is reported with its command line, not as a bare I/O error.
#[test]
fn a_command_that_cannot_run_is_named() {
    let mut run = TestCommand::new(Command::new("/nonexistent/tpa-no-such-binary"));
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.output()))
        .expect_err("a missing binary must panic");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("could not run the command") && message.contains("tpa-no-such-binary"),
        "{message}"
    );
}
