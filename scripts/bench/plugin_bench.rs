//! Micro-benchmarks of a provider process as Terraform sees it, run by `scripts/bench.sh`:
//! handshake latency (spawn to handshake line) and per-RPC latency over the real mTLS socket.
//!
//! A separate example target rather than a flag of the shipped binary: the provider carries no
//! benchmark code. Usage (prints one JSON object on stdout):
//!
//! ```text
//! plugin_bench handshake BINARY RUNS      # any go-plugin provider (ours or a Go one)
//! plugin_bench rpc BINARY CALLS           # ours: GetProviderSchema and ConfigureProvider
//! ```

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use terraform_provider_alicloud::plugin::proto::health::health_client::HealthClient;
use terraform_provider_alicloud::plugin::proto::health::HealthCheckRequest;
use terraform_provider_alicloud::plugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use terraform_provider_alicloud::plugin::proto::plugin::Empty;
use terraform_provider_alicloud::plugin::proto::tfplugin6 as pb;
use terraform_provider_alicloud::plugin::proto::tfplugin6::provider_client::ProviderClient;
use terraform_provider_alicloud::tfvalue::{to_msgpack, Value};
use tonic::transport::Channel;

#[path = "../../tests/util/plugin_client.rs"]
mod plugin_client;

use plugin_client::{connect, identity, Error, Identity, COOKIE};

/// A started plugin: the child, the handshake line, and when the line arrived.
struct Started {
    child: Child,
    line: String,
    elapsed: Duration,
}

/// Starts `binary` with Terraform's environment and reads its handshake line.
fn start(binary: &str, id: &Identity) -> Result<Started, Error> {
    let begin = Instant::now();
    let mut child = Command::new(binary)
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", &id.cert_pem)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let elapsed = begin.elapsed();
    if line.split('|').count() != 6 {
        let _ = child.kill();
        return Err(format!("not a handshake line: {line:?}").into());
    }
    Ok(Started {
        child,
        line: line.trim_end().to_string(),
        elapsed,
    })
}

/// Ends a plugin the way that lets it clean up (SIGTERM), then reaps it.
fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn handshake(binary: &str, runs: usize) -> Result<serde_json::Value, Error> {
    let id = identity()?;
    // One unmeasured start warms the page cache, as in a real Terraform run.
    stop(start(binary, &id)?.child);
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let s = start(binary, &id)?;
        samples.push(s.elapsed.as_secs_f64() * 1000.0);
        stop(s.child);
    }
    Ok(serde_json::json!({ "handshake_ms": samples }))
}

/// An mTLS gRPC channel to the Unix socket named in the handshake `line`, presenting `id`.
async fn connect_line(line: &str, id: &Identity) -> Result<Channel, Error> {
    let fields: Vec<&str> = line.split('|').collect();
    let server_der = base64::engine::general_purpose::STANDARD_NO_PAD.decode(fields[5])?;
    connect(&PathBuf::from(fields[3]), &server_der, Some(id)).await
}

/// A provider block pointing at an unreachable local endpoint: configuring builds the clients
/// but calls nothing.
fn provider_config() -> Result<Vec<u8>, Error> {
    let ty = terraform_provider_alicloud::provider::schema().value_type();
    let mut v = Value::null_object(&ty);
    v.set("region", Value::string("cn-hangzhou"));
    v.set("access_key", Value::string("LTAIEmulatorKey"));
    v.set("secret_key", Value::string("EmulatorSecret"));
    v.set(
        "endpoints",
        Value::object([
            ("polardb", Value::string("http://127.0.0.1:9")),
            ("polardbx", Value::string("http://127.0.0.1:9")),
            ("sts", Value::Null),
        ]),
    );
    Ok(to_msgpack(&v, &ty)?)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn rpc(binary: &str, calls: usize) -> Result<serde_json::Value, Error> {
    let id = identity()?;
    let started = start(binary, &id)?;
    let t = Instant::now();
    let channel = connect_line(&started.line, &id).await?;
    let connect_ms = ms(t.elapsed());
    let mut client = ProviderClient::new(channel.clone()).max_decoding_message_size(256 << 20);

    // The first request on a fresh HTTP/2 connection pays for the connection's warm-up on both
    // sides; time a health check first, so the first GetProviderSchema shows the schema's own cost.
    let t = Instant::now();
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: "plugin".into(),
        })
        .await?;
    let first_rpc_ms = ms(t.elapsed());

    let mut schema_ms = Vec::with_capacity(calls);
    let mut schema_bytes = 0;
    for _ in 0..calls {
        let t = Instant::now();
        let r = client
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await?;
        schema_ms.push(ms(t.elapsed()));
        schema_bytes = prost::Message::encoded_len(r.get_ref());
    }

    let config = provider_config()?;
    let mut configure_ms = Vec::new();
    for _ in 0..calls.min(200) {
        let t = Instant::now();
        let r = client
            .configure_provider(pb::configure_provider::Request {
                terraform_version: "1.11.4".into(),
                config: Some(pb::DynamicValue {
                    msgpack: config.clone(),
                    json: Vec::new(),
                }),
                client_capabilities: None,
            })
            .await?
            .into_inner();
        configure_ms.push(ms(t.elapsed()));
        if let Some(d) = r.diagnostics.first() {
            return Err(format!("ConfigureProvider: {} {}", d.summary, d.detail).into());
        }
    }
    let _ = GrpcControllerClient::new(channel).shutdown(Empty {}).await;
    stop(started.child);
    Ok(serde_json::json!({
        "connect_ms": connect_ms,
        "first_rpc_ms": first_rpc_ms,
        "get_provider_schema_ms": schema_ms,
        "get_provider_schema_bytes": schema_bytes,
        "configure_provider_ms": configure_ms,
    }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = |i: usize| -> Result<usize, Error> {
        Ok(args.get(i).ok_or("missing count")?.parse::<usize>()?)
    };
    let out = match args.first().map(String::as_str) {
        Some("handshake") => handshake(args.get(1).ok_or("missing binary")?, count(2)?)?,
        Some("rpc") => rpc(args.get(1).ok_or("missing binary")?, count(2)?).await?,
        _ => return Err("usage: plugin_bench handshake|rpc BINARY COUNT".into()),
    };
    println!("{out}");
    Ok(())
}
