//! The two ways the binary runs: managed by Terraform (handshake on stdout, mTLS, exits on
//! Shutdown) and `--debug` (plaintext, prints TF_REATTACH_PROVIDERS, runs until Ctrl-C).

use std::path::PathBuf;
use std::process::ExitCode;

use tokio::signal::unix::{signal, SignalKind};

use super::handshake;
use super::listener::Listener;
use super::provider_service::ProviderService;
use super::server::{serve, ServeOptions, Shutdown};
use super::tls;

/// The provider's address as Terraform names it.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/polardb-tools/alicloud";

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

fn port(key: &str, default: u16) -> u16 {
    env(key).and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn bind() -> std::io::Result<Listener> {
    let dir = env("PLUGIN_UNIX_SOCKET_DIR").map(PathBuf::from);
    Listener::bind(
        dir.as_deref(),
        port("PLUGIN_MIN_PORT", 10000),
        port("PLUGIN_MAX_PORT", 25000),
    )
    .await
}

/// Run by Terraform: the go-plugin handshake, then serve until Shutdown or SIGTERM.
pub async fn managed() -> ExitCode {
    let checked = handshake::check_cookie(env(handshake::MAGIC_COOKIE_KEY).as_deref())
        .and_then(|()| handshake::negotiate(env("PLUGIN_PROTOCOL_VERSIONS").as_deref()));
    if let Err(e) = checked {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let server_tls = match env("PLUGIN_CLIENT_CERT") {
        None => None,
        Some(pem) => match tls::server_tls(&pem) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("terraform-provider-alicloud: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let shutdown = Shutdown::new();
    // Terraform relays Ctrl-C to the whole process group and then calls StopProvider; dying on
    // SIGINT here would lose the state of operations in flight. Like go-plugin, ignore it.
    if let Err(e) = ignore_sigint() {
        eprintln!("terraform-provider-alicloud: cannot handle SIGINT: {e}");
        return ExitCode::FAILURE;
    }
    if let Err(e) = on_signal(SignalKind::terminate(), shutdown.clone()) {
        eprintln!("terraform-provider-alicloud: cannot handle SIGTERM: {e}");
        return ExitCode::FAILURE;
    }
    let listener = match bind().await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("terraform-provider-alicloud: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let provider = ProviderService::new();
    let (network, addr) = listener.announce();
    let line = handshake::line(network, &addr, server_tls.as_ref().map(|t| &t.cert_der[..]));
    if let Err(e) = handshake::announce(&line) {
        eprintln!("terraform-provider-alicloud: cannot write the handshake: {e}");
        return ExitCode::FAILURE;
    }
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        network,
        "provider started"
    );
    let opts = ServeOptions {
        tls: server_tls.map(|t| t.config),
        controller_shutdown: true,
    };
    finish(serve(listener, opts, provider, shutdown).await)
}

/// `--debug`: serve plaintext on a Unix socket for Terraform to reattach to, until Ctrl-C.
pub async fn debug() -> ExitCode {
    let shutdown = Shutdown::new();
    for kind in [SignalKind::interrupt(), SignalKind::terminate()] {
        if let Err(e) = on_signal(kind, shutdown.clone()) {
            eprintln!("terraform-provider-alicloud: cannot handle signals: {e}");
            return ExitCode::FAILURE;
        }
    }
    let dir = env("PLUGIN_UNIX_SOCKET_DIR").map(PathBuf::from);
    let listener = match Listener::bind_unix(dir.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("terraform-provider-alicloud: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let path = listener
        .socket_path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    println!(
        "Provider started in debug mode. In the shell where you run terraform, export this \
         variable (prefix the line with `export `):\n\n\
         TF_REATTACH_PROVIDERS='{}'\n\n\
         Terraform then uses this process instead of starting its own (no dev_overrides \
         needed). Press Ctrl-C here to stop the provider.",
        reattach_json(std::process::id(), &path)
    );
    let opts = ServeOptions {
        tls: None,
        controller_shutdown: false,
    };
    finish(serve(listener, opts, ProviderService::new(), shutdown).await)
}

/// The TF_REATTACH_PROVIDERS value. `Test: true` is required: Terraform 1.11 crashes on
/// `false` with protocol 6, and it stops Terraform from killing our process.
pub fn reattach_json(pid: u32, socket: &str) -> String {
    let socket = serde_json::Value::from(socket).to_string();
    format!(
        r#"{{"{PROVIDER_ADDRESS}":{{"Protocol":"grpc","ProtocolVersion":6,"Pid":{pid},"Test":true,"Addr":{{"Network":"unix","String":{socket}}}}}}}"#
    )
}

fn finish(result: Result<(), tonic::transport::Error>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("terraform-provider-alicloud: server error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Replaces SIGINT's default action (exit) with a handler that only logs.
fn ignore_sigint() -> std::io::Result<()> {
    let mut sig = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        while sig.recv().await.is_some() {
            tracing::debug!("SIGINT ignored; Terraform will call StopProvider");
        }
    });
    Ok(())
}

/// Triggers `shutdown` when `kind` arrives.
fn on_signal(kind: SignalKind, shutdown: Shutdown) -> std::io::Result<()> {
    let mut sig = signal(kind)?;
    tokio::spawn(async move {
        if sig.recv().await.is_some() {
            shutdown.trigger();
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
        let j = reattach_json(42, "/tmp/a\"b/plugin.sock");
        assert_eq!(
            j,
            r#"{"registry.terraform.io/polardb-tools/alicloud":{"Protocol":"grpc","ProtocolVersion":6,"Pid":42,"Test":true,"Addr":{"Network":"unix","String":"/tmp/a\"b/plugin.sock"}}}"#
        );
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v[PROVIDER_ADDRESS]["Test"], true);
    }
}
