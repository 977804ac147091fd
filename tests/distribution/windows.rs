//! The Windows build's plugin path, run by `scripts/cross-check.sh windows_amd64` with
//! `TEST_PROVIDER_BINARY` naming a script that starts the `.exe` under wine: loopback TCP in
//! Terraform's port range, mTLS with a P-521 client certificate, RPCs, StopProvider (Windows has
//! no SIGINT for the plugin) and Shutdown. Ignored in `cargo test`: the native binary listens
//! on a Unix socket (tested in tests/protocol.rs), and wine is too slow for CI.
//!
//! The test: the provider announces `tcp` on 127.0.0.1 inside PLUGIN_MIN_PORT..PLUGIN_MAX_PORT;
//! Terraform's certificate gets schema, metadata and StopProvider answered, another certificate
//! or none is refused, and Shutdown ends the process with status 0.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use terraform_provider_alicloud::plugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use terraform_provider_alicloud::plugin::proto::plugin::Empty;

use crate::util::bin;
use crate::util::plugin_client::{assert_tcp_serves_only_terraform, identity, COOKIE};

/// Kills the provider (and so wine's process) if a check fails before Shutdown.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The Windows build under wine serves mTLS on loopback TCP in the port range until Shutdown.
#[tokio::test]
#[ignore = "needs a Windows build under wine: run scripts/cross-check.sh windows_amd64"]
async fn windows_binary_serves_mtls_over_loopback_tcp() {
    let id = identity().expect("client identity");
    let mut child = Killed(
        Command::new(bin("terraform-provider-alicloud"))
            .env_remove("TF_LOG")
            .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env("PLUGIN_MIN_PORT", "23100")
            .env("PLUGIN_MAX_PORT", "23199")
            .env("PLUGIN_CLIENT_CERT", &id.cert_pem)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the provider"),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the handshake line");
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line: {line:?}");
    assert_eq!(&fields[..3], &["1", "6", "tcp"], "handshake line: {line:?}");
    assert_eq!(fields[4], "grpc", "handshake line: {line:?}");
    let addr = fields[3].to_string();
    let port: u16 = addr
        .strip_prefix("127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("not a loopback address: {addr}"));
    assert!(
        (23100..=23199).contains(&port),
        "port {port} outside the range"
    );
    let server_cert = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .expect("certificate is unpadded standard base64");

    let channel = assert_tcp_serves_only_terraform(&addr, &server_cert, &id).await;

    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .expect("Shutdown");
    // Generous: wine on a loaded machine; the native exit is measured in tests/protocol.rs.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 60 s after Shutdown"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status after Shutdown: {status:?}");
}
