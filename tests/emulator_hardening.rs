//! The emulator is safe to run on a shared machine and in CI (issue 12): loopback unless an admin
//! token guards the admin API, admin writes only as JSON, slow and surplus connections bounded,
//! a request log that cannot grow without bound or keep strangers' bytes, and a state file that
//! is never written through a symlink.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use terraform_provider_alicloud::alicloud::client::{form_encode, new_nonce};
use terraform_provider_alicloud::alicloud::credentials::{Credentials, Secret};
use terraform_provider_alicloud::alicloud::sign;

use crate::util::emulator::{Emulator, CLUSTER};
use crate::util::TempDir;

const TOKEN: &str = "a-long-enough-admin-token-0123";

/// Sends raw bytes on a fresh connection and reads until the server closes it (or 10 s pass).
fn raw(addr: &str, request: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    s.write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("write: {e}"));
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn status_of(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn admin_request(method: &str, path: &str, headers: &str, body: &str) -> String {
    format!(
        "{method} /_emulator/{path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A signed PolarDB request with `params`, as a form body.
fn signed_form(emu: &Emulator, action: &str, params: &[(&str, &str)]) -> String {
    let c = Credentials {
        access_key_id: emu.access_key().into(),
        access_key_secret: Secret::new(emu.secret()),
        security_token: None,
    };
    let p: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let nonce = new_nonce().unwrap_or_else(|e| panic!("{e}"));
    form_encode(&sign::sign_v2(
        "POST",
        action,
        "2017-08-01",
        &p,
        &c,
        std::time::SystemTime::now(),
        &nonce,
    ))
}

fn post_api(addr: &str, body: &str) -> String {
    raw(
        addr,
        &format!(
            "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// Listening beyond loopback without an admin token is refused at start, naming the fix; with a
/// token the emulator says so, and admin requests without it get 401.
#[test]
fn non_loopback_bind_needs_an_admin_token() {
    let out = Command::new(crate::util::bin("alicloud-emulator"))
        .args(["--bind", "0.0.0.0", "--port", "0"])
        .env_remove("ALICLOUD_EMULATOR_ADMIN_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run emulator: {e}"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it must refuse to start: {err}");
    assert!(
        err.contains("--admin-token") && err.contains("0.0.0.0"),
        "{err}"
    );
    let emu = Emulator::start(&["--bind", "0.0.0.0", "--admin-token", TOKEN]);
    let port = emu
        .addr()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_string();
    let local = format!("127.0.0.1:{port}");
    let refused = raw(&local, &admin_request("GET", "backups", "", ""));
    assert_eq!(status_of(&refused), 401, "{refused}");
    assert!(refused.contains("Authorization: Bearer"), "{refused}");
    let wrong = raw(
        &local,
        &admin_request(
            "GET",
            "backups",
            "Authorization: Bearer not-the-token-at-all\r\n",
            "",
        ),
    );
    assert_eq!(status_of(&wrong), 401, "{wrong}");
    assert_eq!(emu.backups(), Value::Array(vec![]), "the token opens it");
}

/// Admin writes that are not `Content-Type: application/json` (what a web page can send without
/// asking) are refused with 415 and change nothing.
#[test]
fn admin_writes_must_be_json() {
    let emu = Emulator::start_default();
    for ctype in [
        "",
        "Content-Type: text/plain\r\n",
        "Content-Type: application/x-www-form-urlencoded\r\n",
    ] {
        let got = raw(
            emu.addr(),
            &admin_request("POST", "settings", ctype, r#"{"backup_duration_ms":5}"#),
        );
        assert_eq!(status_of(&got), 415, "{ctype:?}: {got}");
        assert!(got.contains("application/json"), "{got}");
    }
    let settings = emu.admin("GET", "settings", None).1;
    assert_eq!(settings["backup_duration_ms"], 300, "{settings}");
    let got = raw(
        emu.addr(),
        &admin_request(
            "POST",
            "settings",
            "Content-Type: application/json; charset=utf-8\r\n",
            r#"{"backup_duration_ms":5}"#,
        ),
    );
    assert_eq!(status_of(&got), 200, "{got}");
}

/// A client that never finishes its headers is disconnected after the header timeout.
#[test]
fn slow_headers_are_cut_off() {
    let emu = Emulator::start(&["--cluster", CLUSTER, "--header-timeout", "300ms"]);
    let mut s = TcpStream::connect(emu.addr()).unwrap_or_else(|e| panic!("{e}"));
    let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
    s.write_all(b"GET /_emulator/backups HTTP/1.1\r\nHost: x\r\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = s.read_to_end(&mut buf);
    let took = started.elapsed();
    assert!(
        read.is_ok() && took < Duration::from_secs(15),
        "the server should close the connection (took {took:?}, read {read:?})"
    );
}

/// With a cap of one connection, a second client waits until the first goes, then is served.
#[test]
fn connections_are_capped() {
    let emu = Emulator::start(&[
        "--cluster",
        CLUSTER,
        "--max-connections",
        "1",
        "--header-timeout",
        "60s",
    ]);
    let first = TcpStream::connect(emu.addr()).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(300));
    let mut second = TcpStream::connect(emu.addr()).unwrap_or_else(|e| panic!("{e}"));
    second
        .write_all(admin_request("GET", "backups", "", "").as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = second.set_read_timeout(Some(Duration::from_secs(1)));
    let mut buf = [0u8; 64];
    let early = second.read(&mut buf);
    assert!(
        early.is_err(),
        "the second connection must wait while the first holds the only slot: {early:?}"
    );
    drop(first);
    let _ = second.set_read_timeout(Some(Duration::from_secs(20)));
    let mut answer = String::new();
    let _ = second.read_to_string(&mut answer);
    assert_eq!(status_of(&answer), 200, "{answer}");
}

/// Unauthenticated requests leave no parameters in the log; an authenticated one's long value
/// is cut, so the log cannot be filled with anyone's bytes.
#[test]
fn request_log_keeps_only_authenticated_parameters_and_cuts_them() {
    let emu = Emulator::start_default();
    let junk = "x".repeat(100_000);
    let unsigned = form_encode(&[
        ("Action".to_string(), "DescribeBackupTasks".to_string()),
        ("Version".to_string(), "2017-08-01".to_string()),
        ("DBClusterId".to_string(), CLUSTER.to_string()),
        ("Junk".to_string(), junk.clone()),
    ]);
    let got = post_api(emu.addr(), &unsigned);
    assert_eq!(status_of(&got), 400, "{got}");
    let signed = signed_form(
        &emu,
        "DescribeBackupTasks",
        &[("DBClusterId", CLUSTER), ("Junk", &junk)],
    );
    let got = post_api(emu.addr(), &signed);
    assert_eq!(status_of(&got), 200, "{got}");
    let log = emu.requests();
    assert_eq!(log[0]["params"], serde_json::json!({}), "{}", log[0]);
    assert_eq!(log[1]["params"]["DBClusterId"], CLUSTER);
    let kept = log[1]["params"]["Junk"].as_str().unwrap_or_default();
    assert!(
        kept.len() < 300 && kept.ends_with("<cut>"),
        "{} bytes kept",
        kept.len()
    );
    assert!(log.to_string().len() < 10_000, "the log stays small");
}

/// The state file is never written through a symlink: a link planted at the old temp name and a
/// link at the state path itself leave their targets untouched, and the state is a plain file.
#[cfg(unix)]
#[test]
fn state_file_is_not_written_through_symlinks() {
    let dir = TempDir::new("emulator-symlink");
    let victim = dir.write("victim.txt", "precious");
    let target = dir.write("elsewhere.json", "{}");
    let state = dir.path().join("state.json");
    std::os::unix::fs::symlink(&victim, dir.path().join("state.tmp"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(&target, &state).unwrap_or_else(|e| panic!("{e}"));
    let state_arg = state.to_string_lossy().to_string();
    let emu = Emulator::start(&["--cluster", CLUSTER, "--state-file", &state_arg]);
    let got = post_api(
        emu.addr(),
        &signed_form(&emu, "CreateBackup", &[("DBClusterId", CLUSTER)]),
    );
    assert_eq!(status_of(&got), 200, "{got}");
    drop(emu);
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap_or_default();
    assert_eq!(read(&victim), "precious");
    assert_eq!(read(&target), "{}");
    let meta = std::fs::symlink_metadata(&state).unwrap_or_else(|e| panic!("{e}"));
    assert!(meta.file_type().is_file(), "state.json is a plain file now");
    assert!(read(&state).contains(CLUSTER));
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".state.json."))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(leftovers, Vec::<String>::new(), "no temp files left");
}

/// Settings no arithmetic can take are refused by the admin API with the reason.
#[test]
fn absurd_settings_are_refused() {
    let emu = Emulator::start_default();
    for bad in [
        serde_json::json!({ "backup_duration_ms": u64::MAX }),
        serde_json::json!({ "rate_limit": { "*": 0 } }),
        serde_json::json!({ "rate_limit": { "*": -1 } }),
        serde_json::json!({ "strict": ["no-such-behaviour"] }),
        serde_json::json!({ "dialect": "loose" }),
    ] {
        let (status, body) = emu.admin("POST", "settings", Some(&bad));
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let settings = emu.admin("GET", "settings", None).1;
    assert_eq!(settings["backup_duration_ms"], 300, "{settings}");
}

/// Started without `--bind`, the emulator listens on loopback only, and a request with no
/// signature is refused before any action runs (tests/emulator.rs checks every signature error).
#[test]
fn emulator_is_loopback_only_and_refuses_unsigned_requests() {
    let emu = Emulator::start_default();
    assert!(
        emu.addr().starts_with("127.0.0.1:"),
        "bound to {}",
        emu.addr()
    );
    let body = "Action=CreateBackup&Version=2017-08-01&DBClusterId=pc-emulator0001";
    let mut sock = std::net::TcpStream::connect(emu.addr()).expect("connect");
    write!(
        sock,
        "POST / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: \
         application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        emu.addr(),
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    let _ = sock.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("MissingAccessKeyId"), "{answer}");
    assert!(crate::util::state::emulator_backups(&emu, "polardb").is_empty());
}
