//! The two ways the binary runs: managed by Terraform (handshake on stdout, mTLS, exits on
//! Shutdown) and `--debug` (plaintext, prints TF_REATTACH_PROVIDERS, runs until Ctrl-C).
//!
//! Signals. Terraform relays Ctrl-C to the whole process group and then calls StopProvider, so
//! a managed provider ignores SIGINT (Windows: the console's Ctrl-C) as go-plugin does. SIGTERM
//! (a CI runner or an orchestrator stopping the job) fires the same stop signal as StopProvider,
//! waits until every RPC in flight has returned its answer (a create returns its ID, with a
//! warning), and only then shuts the server down.

use std::process::ExitCode;
use std::time::Duration;

use super::handshake;
use super::listener::{Listener, PortRange};
use super::operations::Operations;
use super::provider_service::ProviderService;
use super::server::{serve, ServeOptions, Shutdown};
use super::tls;

/// The provider's address as Terraform names it.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/polardb-tools/alicloud";

/// After SIGTERM, how long operations get to return their state before the server stops
/// regardless. Stopped waits return at once; this bounds a call that ignores the signal.
const TERMINATE_DRAIN_LIMIT: Duration = Duration::from_secs(30);

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// Terraform's port range; a bad value is an error, as in go-plugin.
fn port_range() -> Result<PortRange, String> {
    PortRange::from_values(
        env("PLUGIN_MIN_PORT").as_deref(),
        env("PLUGIN_MAX_PORT").as_deref(),
    )
}

/// Where go-plugin listens on this OS: a private Unix socket on Unix, loopback TCP in the port
/// range on Windows. No fallback from one to the other.
async fn bind(range: PortRange) -> std::io::Result<Listener> {
    #[cfg(unix)]
    {
        let _ = range; // Unix never listens on TCP; the range is only validated.
        let dir = env("PLUGIN_UNIX_SOCKET_DIR").map(std::path::PathBuf::from);
        Listener::bind_unix(dir.as_deref())
    }
    #[cfg(not(unix))]
    {
        Listener::bind_tcp(range).await
    }
}

/// Run by Terraform: the go-plugin handshake, then serve until Shutdown or SIGTERM.
pub async fn managed() -> ExitCode {
    exit(serve_managed().await)
}

/// `--debug`: serve plaintext for Terraform to reattach to, until Ctrl-C or SIGTERM.
pub async fn debug() -> ExitCode {
    exit(serve_debug().await)
}

/// The exit code of a run; a failure is said on stderr.
fn exit(run: Result<(), String>) -> ExitCode {
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// A failure as the binary says it on stderr.
fn failed(e: impl std::fmt::Display) -> String {
    format!("terraform-provider-alicloud: {e}")
}

async fn serve_managed() -> Result<(), String> {
    handshake::check_cookie(env(handshake::MAGIC_COOKIE_KEY).as_deref())
        .and_then(|()| handshake::negotiate(env("PLUGIN_PROTOCOL_VERSIONS").as_deref()))
        .map_err(|e| e.to_string())?;
    let range = port_range().map_err(failed)?;
    let server_tls = env("PLUGIN_CLIENT_CERT")
        .map(|pem| tls::server_tls(&pem))
        .transpose()
        .map_err(failed)?;
    let (shutdown, provider, listener) = start(range, managed_signals).await?;
    let (network, addr) = listener.announce();
    let line = handshake::line(network, &addr, server_tls.as_ref().map(|t| &t.cert_der[..]));
    handshake::announce(&line)
        .map_err(|e| failed(format_args!("cannot write the handshake: {e}")))?;
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        network,
        "provider started"
    );
    let opts = ServeOptions {
        tls: server_tls.map(|t| t.config),
        controller_shutdown: true,
        ..ServeOptions::default()
    };
    finish(serve(listener, opts, provider, shutdown).await)
}

async fn serve_debug() -> Result<(), String> {
    let range = port_range().map_err(failed)?;
    let (shutdown, provider, listener) = start(range, debug_signals).await?;
    let (network, addr) = listener.announce();
    println!(
        "Provider started in debug mode. In the shell where you run terraform, export this \
         variable (prefix the line with `export `):\n\n\
         TF_REATTACH_PROVIDERS='{}'\n\n\
         Terraform then uses this process instead of starting its own (no dev_overrides \
         needed). Press Ctrl-C here to stop the provider.",
        reattach_json(std::process::id(), network, &addr)
    );
    let opts = ServeOptions {
        tls: None,
        controller_shutdown: false,
        ..ServeOptions::default()
    };
    finish(serve(listener, opts, provider, shutdown).await)
}

/// The TF_REATTACH_PROVIDERS value. `Test: true` is required: Terraform 1.11 crashes on
/// `false` with protocol 6, and it stops Terraform from killing our process.
pub fn reattach_json(pid: u32, network: &str, addr: &str) -> String {
    let network = serde_json::Value::from(network).to_string();
    let addr = serde_json::Value::from(addr).to_string();
    format!(
        r#"{{"{PROVIDER_ADDRESS}":{{"Protocol":"grpc","ProtocolVersion":6,"Pid":{pid},"Test":true,"Addr":{{"Network":{network},"String":{addr}}}}}}}"#
    )
}

/// What serving and `--debug` set up alike: the shutdown, the provider service with `signals`
/// handled, and the listener.
async fn start(
    range: PortRange,
    signals: fn(Operations, Shutdown) -> std::io::Result<()>,
) -> Result<(Shutdown, ProviderService, Listener), String> {
    let shutdown = Shutdown::new();
    let provider = ProviderService::new();
    signals(provider.operations(), shutdown.clone())
        .map_err(|e| failed(format_args!("cannot handle signals: {e}")))?;
    let listener = bind(range)
        .await
        .map_err(|e| failed(format_args!("cannot listen: {e}")))?;
    Ok((shutdown, provider, listener))
}

fn finish(result: Result<(), tonic::transport::Error>) -> Result<(), String> {
    result.map_err(|e| failed(format_args!("server error: {e}")))
}

/// Stops every operation, waits (bounded) until each has returned its answer, then shuts down.
async fn terminate(ops: Operations, shutdown: Shutdown, why: &str) {
    let in_flight = ops.in_flight();
    tracing::info!(
        in_flight,
        "{why}: stopping operations in flight, then exiting"
    );
    ops.terminate();
    if tokio::time::timeout(TERMINATE_DRAIN_LIMIT, ops.drained())
        .await
        .is_err()
    {
        tracing::warn!(
            in_flight = ops.in_flight(),
            "operations did not return within {}s of {why}; exiting anyway",
            TERMINATE_DRAIN_LIMIT.as_secs()
        );
    }
    shutdown.trigger();
}

/// Managed on Unix: SIGINT ignored (Terraform calls StopProvider), SIGTERM terminates.
#[cfg(unix)]
fn managed_signals(ops: Operations, shutdown: Shutdown) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        while int.recv().await.is_some() {
            tracing::debug!("SIGINT ignored; Terraform will call StopProvider");
        }
    });
    let mut term = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        if term.recv().await.is_some() {
            terminate(ops, shutdown, "SIGTERM").await;
        }
    });
    Ok(())
}

/// Managed on Windows: there are no Unix signals, and the console's Ctrl-C reaches every
/// process attached to it. Handling it (and doing nothing) keeps the default handler from
/// killing the provider; Terraform stops operations through StopProvider.
#[cfg(windows)]
fn managed_signals(_ops: Operations, _shutdown: Shutdown) -> std::io::Result<()> {
    let mut ctrl_c = tokio::signal::windows::ctrl_c()?;
    tokio::spawn(async move {
        while ctrl_c.recv().await.is_some() {
            tracing::debug!("Ctrl-C ignored; Terraform will call StopProvider");
        }
    });
    Ok(())
}

/// `--debug` on Unix: SIGINT (the user's Ctrl-C) and SIGTERM both terminate.
#[cfg(unix)]
fn debug_signals(ops: Operations, shutdown: Shutdown) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        let why = tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        };
        terminate(ops, shutdown, why).await;
    });
    Ok(())
}

/// `--debug` on Windows: Ctrl-C terminates.
#[cfg(windows)]
fn debug_signals(ops: Operations, shutdown: Shutdown) -> std::io::Result<()> {
    let mut ctrl_c = tokio::signal::windows::ctrl_c()?;
    tokio::spawn(async move {
        if ctrl_c.recv().await.is_some() {
            terminate(ops, shutdown, "Ctrl-C").await;
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reattach value has exactly the shape Terraform expects, with the path JSON-escaped.
    #[test]
    fn reattach_shape() {
        let j = reattach_json(42, "unix", "/tmp/a\"b/plugin.sock");
        assert_eq!(
            j,
            r#"{"registry.terraform.io/polardb-tools/alicloud":{"Protocol":"grpc","ProtocolVersion":6,"Pid":42,"Test":true,"Addr":{"Network":"unix","String":"/tmp/a\"b/plugin.sock"}}}"#
        );
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v[PROVIDER_ADDRESS]["Test"], true);
        let tcp: serde_json::Value =
            serde_json::from_str(&reattach_json(1, "tcp", "127.0.0.1:10001")).unwrap();
        assert_eq!(tcp[PROVIDER_ADDRESS]["Addr"]["Network"], "tcp");
    }

    /// SIGTERM's path: the signal fires at once, and shutdown waits for the call in flight.
    #[tokio::test]
    async fn terminate_waits_for_calls_in_flight() {
        let ops = Operations::new();
        let shutdown = Shutdown::new();
        let signal = ops.signal();
        let call = ops.enter();
        let task = tokio::spawn(terminate(ops.clone(), shutdown.clone(), "test"));
        tokio::time::timeout(Duration::from_secs(5), signal.stopped())
            .await
            .expect("stop fired");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!shutdown.is_triggered(), "a call is still in flight");
        drop(call);
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("terminate returns")
            .unwrap();
        assert!(shutdown.is_triggered());
    }
}
