//! Starting the `alicloud-emulator` binary for a test: a fresh process per test on free ports,
//! killed when the handle is dropped, with synchronous helpers for the admin API.
//!
//! Every emulator starts in the dialect named by `EMULATOR_DIALECT` (`documented`, the default, or
//! `strict`) unless the test names one itself (`--dialect` or `--strict` in its arguments). Each
//! product has its own endpoint ([`Emulator::polardb_endpoint`], [`Emulator::polardbx_endpoint`]),
//! as in the cloud: under `host-product` a request sent to the other product's endpoint fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::command::describe_command;

/// The emulator's documented default access key.
pub const ACCESS_KEY_ID: &str = "LTAIEmulatorKey";
pub const ACCESS_KEY_SECRET: &str = "EmulatorSecret";
/// The cluster and instance [`Emulator::start_default`] serves.
pub const CLUSTER: &str = "pc-emulator0001";
pub const INSTANCE: &str = "pxc-emulator0001";

/// The arguments of [`Emulator::start_default`].
pub const DEFAULT_ARGS: [&str; 6] = [
    "--cluster",
    CLUSTER,
    "--instance",
    INSTANCE,
    "--backup-duration",
    "300ms",
];

/// A running emulator process.
pub struct Emulator {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    addr: String,
    polardbx_addr: String,
    key: (String, String),
    args: Vec<String>,
    admin_token: Option<String>,
}

impl Emulator {
    /// The dialect `EMULATOR_DIALECT` names: `documented` (default) or `strict`.
    pub fn env_dialect() -> String {
        match std::env::var("EMULATOR_DIALECT") {
            Ok(d) if !d.trim().is_empty() => d.trim().to_string(),
            _ => "documented".to_string(),
        }
    }

    /// Starts the emulator with `args` (plus `--port 0 --polardbx-port 0`, and `--dialect` from
    /// `EMULATOR_DIALECT` unless `args` choose one) and waits for its address lines.
    pub fn start(args: &[&str]) -> Emulator {
        let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        if !args.iter().any(|a| a == "--dialect" || a == "--strict") {
            args.extend(["--dialect".to_string(), Emulator::env_dialect()]);
        }
        Emulator::start_exactly(args)
    }

    /// Starts the emulator in `dialect`, whatever `EMULATOR_DIALECT` says.
    pub fn start_in(dialect: &str, args: &[&str]) -> Emulator {
        let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        args.extend(["--dialect".to_string(), dialect.to_string()]);
        Emulator::start_exactly(args)
    }

    fn start_exactly(args: Vec<String>) -> Emulator {
        let mut cmd = Command::new(super::bin("alicloud-emulator"));
        cmd.args(&args)
            .args(["--port", "0", "--polardbx-port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "could not start the emulator ({e}):{}",
                describe_command(&cmd, "a running emulator")
            )
        });
        let Some(stdout) = child.stdout.take() else {
            panic!("emulator stdout not captured");
        };
        let mut stdout = BufReader::new(stdout);
        let addr = read_address(&mut child, &mut stdout, &cmd, "listening on http://");
        let polardbx_addr = read_address(
            &mut child,
            &mut stdout,
            &cmd,
            "polardbx listening on http://",
        );
        let key = args
            .iter()
            .position(|a| a == "--access-key")
            .and_then(|i| args.get(i + 1))
            .and_then(|k| k.split_once(':'))
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .unwrap_or((ACCESS_KEY_ID.into(), ACCESS_KEY_SECRET.into()));
        let admin_token = args
            .iter()
            .position(|a| a == "--admin-token")
            .and_then(|i| args.get(i + 1))
            .cloned();
        Emulator {
            admin_token,
            child,
            _stdout: stdout,
            addr,
            polardbx_addr,
            key,
            args,
        }
    }

    /// One Running cluster ([`CLUSTER`]), one Running instance ([`INSTANCE`]), 300 ms backups.
    pub fn start_default() -> Emulator {
        Emulator::start(&DEFAULT_ARGS)
    }

    /// [`CLUSTER`] and [`INSTANCE`] with backups taking `backup_duration`, plus `extra`
    /// arguments (e.g. `--access-key`).
    pub fn start_one_each(backup_duration: &str, extra: &[&str]) -> Emulator {
        let mut args = vec![
            "--cluster",
            CLUSTER,
            "--instance",
            INSTANCE,
            "--backup-duration",
            backup_duration,
        ];
        args.extend_from_slice(extra);
        Emulator::start(&args)
    }

    /// [`Emulator::start_default`] in `dialect` whatever `EMULATOR_DIALECT` says: for tests of
    /// one reading (e.g. the client's typed calls, whose IDs the `documented` reading fixes).
    pub fn start_default_in(dialect: &str) -> Emulator {
        Emulator::start_in(dialect, &DEFAULT_ARGS)
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash: the PolarDB endpoint (which also serves
    /// PolarDB-X unless `host-product` is on, and the admin API).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The PolarDB endpoint URL (the same as [`Emulator::url`]).
    pub fn polardb_endpoint(&self) -> String {
        self.url()
    }

    /// The PolarDB-X endpoint URL: another port than PolarDB's.
    pub fn polardbx_endpoint(&self) -> String {
        format!("http://{}", self.polardbx_addr)
    }

    /// `127.0.0.1:PORT` of the PolarDB-X endpoint.
    pub fn polardbx_addr(&self) -> &str {
        &self.polardbx_addr
    }

    /// The provider block's `endpoints { .. }` for this emulator, indented by two spaces.
    pub fn endpoints_hcl(&self) -> String {
        format!(
            "  endpoints {{\n    polardb  = \"{}\"\n    polardbx = \"{}\"\n  }}\n",
            self.polardb_endpoint(),
            self.polardbx_endpoint()
        )
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    pub fn access_key(&self) -> &str {
        &self.key.0
    }

    pub fn secret(&self) -> &str {
        &self.key.1
    }

    /// The arguments it was started with (with its dialect, without the ports), e.g. to restart
    /// it.
    pub fn args(&self) -> Vec<&str> {
        self.args.iter().map(String::as_str).collect()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        self.child.wait().unwrap_or_else(|e| panic!("wait: {e}"))
    }

    /// Every backup of both products:
    /// `[{"product","id","db_cluster_id"|"db_instance_name","status","client_token",..}]`.
    pub fn backups(&self) -> Value {
        self.admin_ok("GET", "backups", None)
    }

    /// The request log: `[{"time","request_id","product","action","signature","params",
    /// "outcome","http_status","fault"}]`.
    pub fn requests(&self) -> Value {
        self.admin_ok("GET", "requests", None)
    }

    /// Replaces the fault rules: `{"CreateBackup": {"throttle_rate": 1.0}, "*": {..}}`.
    pub fn set_faults(&self, faults: Value) {
        self.admin_ok("POST", "faults", Some(&faults));
    }

    /// Merges settings: `{"backup_duration_ms","polardbx_data_as_object","fail_next_backups",
    /// "dialect","strict","rate_limit"}`.
    pub fn settings(&self, settings: Value) -> Value {
        self.admin_ok("POST", "settings", Some(&settings))
    }

    /// Deletes a backup of either product behind the client's back; false when there was none
    /// (404); any other answer fails the test with the request, status and body.
    pub fn delete_backup(&self, id: &str) -> bool {
        let path = format!("backups/{id}");
        let (status, body) = self.admin("DELETE", &path, None);
        match status {
            200 => true,
            404 => false,
            _ => {
                panic!("admin DELETE /_emulator/{path}: expected 200 or 404, got {status}: {body}")
            }
        }
    }

    /// Adds a cluster or changes its status.
    pub fn set_cluster(&self, id: &str, status: &str) {
        let body = serde_json::json!({ "id": id, "status": status });
        self.admin_ok("POST", "clusters", Some(&body));
    }

    /// Adds an instance or changes its status.
    pub fn set_instance(&self, id: &str, status: &str) {
        let body = serde_json::json!({ "id": id, "status": status });
        self.admin_ok("POST", "instances", Some(&body));
    }

    /// Per-action counts: `{"actions": {ACTION: {"requests","throttled","flow_controlled"}}}`.
    pub fn stats(&self) -> Value {
        self.admin_ok("GET", "stats", None)
    }

    pub fn reset(&self) {
        self.admin_ok("POST", "reset", None);
    }

    /// One admin call that must answer 200; anything else fails the test with the request,
    /// the status and the body.
    pub fn admin_ok(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let (status, answer) = self.admin(method, path, body);
        assert_eq!(
            status,
            200,
            "admin {method} /_emulator/{path} with body {}: expected 200, got {status}: {answer}",
            body.map_or("(none)".to_string(), Value::to_string)
        );
        answer
    }

    /// One admin call over a plain blocking socket (usable from sync and async tests alike): its
    /// status and JSON body. A transport error or an answer that is not HTTP with a JSON body
    /// fails the test, naming the request and what came back.
    pub fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        admin_call(&self.addr, self.admin_token.as_deref(), method, path, body)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Reads the emulator's next stdout line, `{prefix}ADDR`, and returns ADDR; anything else
/// kills it and fails the test with the command, the line and the exit status.
fn read_address(
    child: &mut Child,
    stdout: &mut BufReader<ChildStdout>,
    cmd: &Command,
    prefix: &str,
) -> String {
    let mut line = String::new();
    let read = stdout.read_line(&mut line);
    match line.trim().strip_prefix(prefix) {
        Some(a) if read.is_ok() => a.to_string(),
        _ => {
            let _ = child.kill();
            let status = child.wait().ok();
            panic!(
                "the emulator did not print `{prefix}ADDR`: line {line:?}, read {read:?}, exit \
                 {status:?} (its stderr is above){}",
                describe_command(cmd, &format!("a line `{prefix}ADDR`"))
            );
        }
    }
}

/// One admin call to the emulator at `addr`: `Ok((status, body))`, or an error naming the
/// request and what went wrong (never a made-up status such as 0).
pub fn admin_call(
    addr: &str,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Value), String> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let what = format!("admin {method} /_emulator/{path} to {addr} with body {body:?}");
    let mut s = TcpStream::connect(addr).map_err(|e| format!("{what}: cannot connect: {e}"))?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} /_emulator/{path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())
        .map_err(|e| format!("{what}: cannot send: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .map_err(|e| format!("{what}: cannot read the answer: {e}"))?;
    let raw = String::from_utf8_lossy(&raw);
    let Some((head, payload)) = raw.split_once("\r\n\r\n") else {
        return Err(format!("{what}: no complete HTTP answer: {raw:?}"));
    };
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("{what}: no HTTP status line: {raw:?}"))?;
    let value = serde_json::from_str(payload)
        .map_err(|e| format!("{what}: status {status}, body is not JSON ({e}): {payload:?}"))?;
    Ok((status, value))
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A connection closed without an answer, an answer that is not HTTP, and a body that is not
/// JSON are each an error naming the request and what came back, never a made-up status 0.
#[test]
fn admin_transport_error_is_an_error() {
    for (answer, expected) in [
        ("", "no complete HTTP answer"),
        ("HELLO\r\n\r\n{}", "no HTTP status line"),
        (
            "HTTP/1.1 500 Internal Server Error\r\n\r\nnot json",
            "status 500, body is not JSON",
        ),
    ] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().expect("accept");
            // Read the whole request first, so the close is clean rather than a reset.
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            let _ = conn.write_all(answer.as_bytes());
        });
        let err = admin_call(&addr, None, "GET", "backups", None).expect_err(expected);
        server.join().expect("server thread");
        assert!(err.contains("admin GET /_emulator/backups"), "{err}");
        assert!(err.contains(expected), "{expected:?} not in: {err}");
    }
}
