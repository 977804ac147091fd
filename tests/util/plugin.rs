//! The provider binary started as Terraform starts it: Terraform's environment, the handshake
//! line read and checked, and a gRPC channel over mTLS with Terraform's kind of certificate.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use terraform_provider_alicloud::plugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use terraform_provider_alicloud::plugin::proto::plugin::Empty;
use terraform_provider_alicloud::plugin::proto::tfplugin6 as pb;
use terraform_provider_alicloud::plugin::proto::tfplugin6::provider_client::ProviderClient;
use tonic::transport::Channel;

use super::bin;
use super::command::describe_command;
use super::plugin_client::{connect, identity, Error, Identity, COOKIE};

/// A running provider process, killed on drop if still alive.
pub struct Plugin {
    pub child: Child,
    pub socket: PathBuf,
    pub server_cert: Vec<u8>,
    pub identity: Identity,
    pub started: Instant,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The provider command with Terraform's environment (and nothing of ours that could leak in).
pub fn provider_command() -> Command {
    let mut cmd = Command::new(bin("terraform-provider-alicloud"));
    cmd.env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .env_remove("PLUGIN_CLIENT_CERT")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .stdin(Stdio::null());
    cmd
}

/// Starts the provider as Terraform does and reads its handshake line.
pub fn start() -> Plugin {
    start_with_stderr(Stdio::inherit())
}

/// [`start`], with the provider's stderr sent to `stderr` (e.g. a file a test greps).
pub fn start_with_stderr(stderr: Stdio) -> Plugin {
    let identity = identity().expect("client identity");
    let started = Instant::now();
    let mut cmd = provider_command();
    cmd.env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", &identity.cert_pem)
        .stdout(Stdio::piped())
        .stderr(stderr);
    let expected = "a handshake line `1|6|unix|SOCKET|grpc|CERT` (CERT unpadded base64)";
    let mut child = cmd.spawn().unwrap_or_else(|e| {
        panic!(
            "could not start the provider ({e}):{}",
            describe_command(&cmd, expected)
        )
    });
    let Some(stdout) = child.stdout.take() else {
        panic!("provider stdout not captured")
    };
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    let well_formed = read.is_ok()
        && fields.len() == 6
        && fields[..3] == ["1", "6", "unix"]
        && fields[4] == "grpc"
        && !fields[5].ends_with('=');
    if !well_formed {
        let _ = child.kill();
        let status = child.wait().ok();
        panic!(
            "bad handshake: line {line:?}, read {read:?}, exit {status:?} (the provider's stderr \
             is above or in the test's log file){}",
            describe_command(&cmd, expected)
        );
    }
    let server_cert = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .expect("certificate is unpadded standard base64");
    let socket = PathBuf::from(fields[3]);
    Plugin {
        child,
        socket,
        server_cert,
        identity,
        started,
    }
}

impl Plugin {
    /// A gRPC channel over mTLS on the Unix socket, presenting `identity` (or no certificate).
    pub async fn channel_as(&self, identity: Option<&Identity>) -> Result<Channel, Error> {
        connect(&self.socket, &self.server_cert, identity).await
    }

    pub async fn provider(&self) -> ProviderClient<Channel> {
        let channel = self
            .channel_as(Some(&self.identity))
            .await
            .expect("connect with Terraform's certificate");
        ProviderClient::new(channel).max_decoding_message_size(256 * 1024 * 1024)
    }

    /// Sends GRPCController.Shutdown as Terraform does at the end of a run, and checks the
    /// process then exits with status 0 within a second and removes its socket.
    pub async fn shutdown_exits_cleanly(&mut self) {
        let channel = self
            .channel_as(Some(&self.identity))
            .await
            .expect("controller channel");
        let started = Instant::now();
        GrpcControllerClient::new(channel)
            .shutdown(Empty {})
            .await
            .expect("Shutdown");
        let status = self
            .wait_exit(Duration::from_secs(2))
            .expect("process exits after Shutdown");
        assert!(status.success(), "exit status {status:?}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert!(!self.socket.exists(), "socket file removed");
    }

    /// Waits up to `limit` for the process to exit; returns its status.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

/// A msgpack payload as a DynamicValue.
pub fn dv(msgpack: Vec<u8>) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}

/// The error diagnostics of a response, as `summary: detail` lines.
pub fn errors(diags: &[pb::Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect()
}
