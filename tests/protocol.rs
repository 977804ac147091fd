//! Plays Terraform's part: starts the provider binary with Terraform's environment, reads the
//! handshake line, connects over mTLS with a P-521 client certificate (like Terraform's), and
//! drives the RPCs with msgpack values built by hand from the served schema.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use terraform_provider_alicloud::plugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use terraform_provider_alicloud::plugin::proto::plugin::Empty;
use terraform_provider_alicloud::plugin::proto::tfplugin6 as pb;
use terraform_provider_alicloud::plugin::proto::tfplugin6::provider_client::ProviderClient;
use tonic::transport::Endpoint;

use crate::util::plugin::{dv, errors, provider_command, start};
use crate::util::plugin_client::{assert_tcp_serves_only_terraform, identity, COOKIE};

// ---- msgpack by hand, so the test checks the wire format independently of our codec ----

/// A value to encode: unknown (extension 0) or a string. Unset attributes are null.
enum Mp<'a> {
    Unknown,
    Str(&'a str),
}

/// An object value: every attribute of the block (nested blocks null), with `set` overrides.
fn object_msgpack(block: &pb::schema::Block, set: &[(&str, Mp<'_>)]) -> Vec<u8> {
    let mut names: Vec<&str> = block.attributes.iter().map(|a| a.name.as_str()).collect();
    names.extend(block.block_types.iter().map(|b| b.type_name.as_str()));
    let mut buf = Vec::new();
    rmp::encode::write_map_len(&mut buf, names.len() as u32).expect("map");
    for name in names {
        rmp::encode::write_str(&mut buf, name).expect("key");
        match set.iter().find(|(n, _)| *n == name).map(|(_, v)| v) {
            None => rmp::encode::write_nil(&mut buf).expect("nil"),
            Some(Mp::Unknown) => buf.extend_from_slice(&[0xd4, 0x00, 0x00]),
            Some(Mp::Str(s)) => rmp::encode::write_str(&mut buf, s).expect("str"),
        }
    }
    buf
}

/// The attribute `name` of a msgpack object, decoded generically.
fn attr(msgpack: &[u8], name: &str) -> rmpv::Value {
    let v = rmpv::decode::read_value(&mut &msgpack[..]).expect("msgpack");
    let map = v.as_map().expect("object");
    map.iter()
        .find(|(k, _)| k.as_str() == Some(name))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no attribute {name} in {v}"))
}

const POLARDB: &str = "alicloud_polardb_backup";

// ---- tests ----

/// Handshake, schema, validation with unknowns, planning, upgrade, import, stop and shutdown,
/// in the order Terraform uses them; then the process exits promptly and the socket is gone.
#[tokio::test]
async fn full_session_over_mtls() {
    let mut plugin = start();
    let handshake_time = plugin.started.elapsed();
    assert!(
        handshake_time < Duration::from_secs(5),
        "{handshake_time:?}"
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&plugin.socket)
            .expect("socket exists")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "socket must be owner-only");
    let mut client = plugin.provider().await;

    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema")
        .into_inner();
    let caps = schema.server_capabilities.expect("capabilities");
    assert!(caps.get_provider_schema_optional && caps.plan_destroy);
    assert!(schema.provider.is_some());
    for name in [POLARDB, "alicloud_polardbx_backup"] {
        assert!(schema.resource_schemas.contains_key(name), "missing {name}");
    }
    let provider_block = schema
        .provider
        .and_then(|s| s.block)
        .expect("provider block");
    let block = schema.resource_schemas[POLARDB]
        .block
        .clone()
        .expect("block");
    assert!(block
        .attributes
        .iter()
        .any(|a| a.name == "db_cluster_id" && a.required));

    let v = client
        .validate_provider_config(pb::validate_provider_config::Request {
            config: dv(object_msgpack(&provider_block, &[])),
        })
        .await
        .expect("ValidateProviderConfig")
        .into_inner();
    assert!(errors(&v.diagnostics).is_empty(), "{:?}", v.diagnostics);

    let config_unknown = object_msgpack(&block, &[("db_cluster_id", Mp::Unknown)]);
    let v = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: POLARDB.into(),
            config: dv(config_unknown.clone()),
        })
        .await
        .expect("ValidateResourceConfig")
        .into_inner();
    assert!(errors(&v.diagnostics).is_empty(), "{:?}", v.diagnostics);

    let known = object_msgpack(&block, &[("db_cluster_id", Mp::Str("pc-abc123"))]);
    let v = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: POLARDB.into(),
            config: dv(known),
        })
        .await
        .expect("ValidateResourceConfig known")
        .into_inner();
    assert!(errors(&v.diagnostics).is_empty(), "{:?}", v.diagnostics);

    let v = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "alicloud_nope".into(),
            config: dv(vec![0xc0]),
        })
        .await
        .expect("ValidateResourceConfig unknown type")
        .into_inner();
    assert_eq!(
        errors(&v.diagnostics).len(),
        1,
        "unknown type is an error diagnostic"
    );

    let plan = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: POLARDB.into(),
            prior_state: dv(vec![0xc0]),
            proposed_new_state: dv(config_unknown.clone()),
            config: dv(config_unknown),
            ..Default::default()
        })
        .await
        .expect("PlanResourceChange")
        .into_inner();
    assert!(
        errors(&plan.diagnostics).is_empty(),
        "{:?}",
        plan.diagnostics
    );
    let planned = plan.planned_state.expect("planned state").msgpack;
    let unknown = rmpv::Value::Ext(0, vec![0]);
    assert_eq!(attr(&planned, "db_cluster_id"), unknown);
    assert_eq!(
        attr(&planned, "id"),
        unknown,
        "computed id is unknown on create"
    );

    let raw = serde_json::json!({"id": "pc-abc/123", "db_cluster_id": "pc-abc"});
    let up = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: POLARDB.into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: raw.to_string().into_bytes(),
                flatmap: Default::default(),
            }),
        })
        .await
        .expect("UpgradeResourceState")
        .into_inner();
    assert!(errors(&up.diagnostics).is_empty(), "{:?}", up.diagnostics);
    let upgraded = up.upgraded_state.expect("upgraded").msgpack;
    assert_eq!(attr(&upgraded, "db_cluster_id").as_str(), Some("pc-abc"));

    let imp = client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: POLARDB.into(),
            id: "not an id".into(),
            ..Default::default()
        })
        .await
        .expect("ImportResourceState")
        .into_inner();
    assert!(
        !errors(&imp.diagnostics).is_empty(),
        "bad id must be an error"
    );
    assert!(imp.imported_resources.is_empty());

    let fns = client
        .get_functions(pb::get_functions::Request {})
        .await
        .expect("GetFunctions")
        .into_inner();
    assert!(fns.functions.is_empty());
    let status = client
        .call_function(pb::call_function::Request::default())
        .await
        .expect_err("CallFunction is unimplemented");
    assert_eq!(status.code(), tonic::Code::Unimplemented);

    let started = Instant::now();
    client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("StopProvider");
    assert!(started.elapsed() < Duration::from_secs(1));

    plugin.shutdown_exits_cleanly().await;
}

/// StopProvider answers promptly, and Shutdown ends the process with status 0 and removes the
/// socket (Terraform otherwise waits 2 s per process and kills it).
#[tokio::test]
async fn stop_then_shutdown_exits_cleanly() {
    let mut plugin = start();
    let mut client = plugin.provider().await;
    let started = Instant::now();
    let stop = client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("StopProvider")
        .into_inner();
    assert!(stop.error.is_empty());
    assert!(started.elapsed() < Duration::from_secs(1));
    plugin.shutdown_exits_cleanly().await;
}

/// SIGINT (Terraform relays Ctrl-C to the process group) does not kill the provider; SIGTERM
/// ends it and removes the socket.
#[tokio::test]
async fn sigint_ignored_sigterm_cleans_up() {
    let mut plugin = start();
    let pid = plugin.child.id().to_string();
    let kill = |sig: &str| {
        let ok = Command::new("kill")
            .args([sig, &pid])
            .status()
            .expect("kill");
        assert!(ok.success());
    };
    kill("-INT");
    assert!(
        plugin.wait_exit(Duration::from_millis(300)).is_none(),
        "survives SIGINT"
    );
    let mut client = plugin.provider().await;
    client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("still serving after SIGINT");
    kill("-TERM");
    assert!(
        plugin.wait_exit(Duration::from_secs(2)).is_some(),
        "exits on SIGTERM"
    );
    assert!(!plugin.socket.exists(), "socket file removed");
}

/// Only the holder of PLUGIN_CLIENT_CERT gets in: another certificate, or none, is refused.
#[tokio::test]
async fn other_clients_are_refused() {
    let plugin = start();
    for (label, id) in [
        ("other certificate", Some(identity().expect("identity"))),
        ("no certificate", None),
    ] {
        let refused = match plugin.channel_as(id.as_ref()).await {
            Err(_) => true,
            Ok(channel) => ProviderClient::new(channel)
                .get_provider_schema(pb::get_provider_schema::Request {})
                .await
                .is_err(),
        };
        assert!(refused, "{label} must be refused");
    }
    // The rightful client still works afterwards.
    let mut client = plugin.provider().await;
    client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata");
}

/// The health service reports "plugin" as SERVING, as go-plugin requires.
#[tokio::test]
async fn health_serving() {
    use terraform_provider_alicloud::plugin::proto::health::health_client::HealthClient;
    use terraform_provider_alicloud::plugin::proto::health::HealthCheckRequest;
    let plugin = start();
    let channel = plugin
        .channel_as(Some(&plugin.identity))
        .await
        .expect("channel");
    let resp = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .expect("Check")
        .into_inner();
    assert_eq!(resp.status, 1, "SERVING");
}

/// Run by hand (no magic cookie), the binary explains itself on stderr and exits non-zero.
#[test]
fn missing_cookie_explains() {
    let out = provider_command()
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("plugin for Terraform"), "{stderr}");
}

/// Without protocol 6 on offer, the error says which versions were offered and what we speak.
#[test]
fn no_protocol_6_is_a_clear_error() {
    let out = provider_command()
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no handshake line");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("\"4,5\"") && stderr.contains("protocol 6"),
        "{stderr}"
    );
}

/// `--version` prints the version and exits 0.
#[test]
fn version_flag() {
    let out = provider_command().arg("--version").output().expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

/// `--debug` prints a TF_REATTACH_PROVIDERS line (plaintext, protocol 6, Test: true), serves
/// plaintext on that socket, survives the controller's Shutdown (many Terraform runs attach to
/// one process), and stops on Ctrl-C, removing the socket.
#[tokio::test]
async fn debug_mode_reattach() {
    let mut child = provider_command()
        .arg("--debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start --debug");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut reattach = None;
    for _ in 0..20 {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("read") == 0 {
            break;
        }
        if let Some(rest) = line.trim_end().strip_prefix("TF_REATTACH_PROVIDERS='") {
            reattach = rest.strip_suffix('\'').map(str::to_string);
            break;
        }
    }
    let reattach = reattach.expect("a TF_REATTACH_PROVIDERS='...' line");
    let v: serde_json::Value = serde_json::from_str(&reattach).expect("JSON");
    let p = &v[crate::util::terraform::PROVIDER_ADDRESS];
    assert_eq!(p["Protocol"], "grpc");
    assert_eq!(p["ProtocolVersion"], 6);
    assert_eq!(p["Test"], true);
    assert_eq!(p["Pid"], child.id());
    assert_eq!(p["Addr"]["Network"], "unix");
    let socket = PathBuf::from(p["Addr"]["String"].as_str().expect("path"));

    let path = socket.clone();
    let channel = Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: http::Uri| {
            let path = path.clone();
            async move {
                let s = tokio::net::UnixStream::connect(&path).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(s))
            }
        }))
        .await
        .expect("plaintext connect");
    ProviderClient::new(channel.clone())
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema over plaintext");
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .expect("Shutdown");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "debug mode survives Shutdown"
    );

    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut status = None;
    while Instant::now() < deadline && status.is_none() {
        status = child.try_wait().expect("wait");
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    assert!(
        status.is_some_and(|s| s.success()),
        "Ctrl-C ends debug mode: {status:?}"
    );
    assert!(!socket.exists(), "socket removed");
}

/// With TF_LOG_PROVIDER set, stderr carries JSON lines go-plugin merges into Terraform's log:
/// `@level`, `@message`, `@module` and a six-digit-fraction `@timestamp`; stdout holds only the
/// handshake line.
#[test]
fn logs_are_json_on_stderr() {
    let mut child = provider_command()
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("TF_LOG_PROVIDER", "INFO")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("handshake");
    assert!(line.starts_with("1|6|"), "{line:?}");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut log = String::new();
    stderr.read_line(&mut log).expect("log line");
    let _ = child.kill();
    let _ = child.wait();
    let v: serde_json::Value = serde_json::from_str(&log).expect("JSON log line");
    assert_eq!(v["@level"], "info", "{log}");
    assert_eq!(v["@module"], "provider");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"), "{log}");
    assert!(v["@message"].as_str().is_some_and(|m| !m.is_empty()));
    let ts = v["@timestamp"].as_str().expect("timestamp");
    let fraction = ts.rsplit('.').next().expect("fraction");
    assert_eq!(fraction.len(), 7, "six digits then Z: {ts}");
    assert!(fraction.ends_with('Z'));
    let mut rest = String::new();
    stdout.read_line(&mut rest).expect("read");
    assert!(
        rest.is_empty(),
        "nothing after the handshake line: {rest:?}"
    );
}

/// A PLUGIN_MIN_PORT or PLUGIN_MAX_PORT that is not a port, or a minimum above the maximum,
/// stops the provider before any handshake line, with an error naming the variable.
#[test]
fn bad_port_range_is_an_error() {
    for (min, max, named) in [
        ("ten", "25000", "PLUGIN_MIN_PORT is \"ten\""),
        ("10000", "99999", "PLUGIN_MAX_PORT is \"99999\""),
        ("20000", "10000", "greater than PLUGIN_MAX_PORT"),
    ] {
        let out = provider_command()
            .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env("PLUGIN_MIN_PORT", min)
            .env("PLUGIN_MAX_PORT", max)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{min}..{max} accepted");
        assert!(out.stdout.is_empty(), "no handshake line for {min}..{max}");
        assert!(stderr.contains(named), "{stderr}");
    }
}

/// On Unix the provider never falls back to TCP (go-plugin never does): when its socket
/// directory is unusable it exits with an error instead of listening on a loopback port that
/// every local user can reach.
#[test]
fn no_tcp_fallback_on_unix() {
    let out = provider_command()
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env(
            "PLUGIN_UNIX_SOCKET_DIR",
            "/nonexistent/terraform-provider-alicloud",
        )
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains("|tcp|"), "listened on TCP: {stdout}");
    assert!(!out.status.success(), "{stdout}");
    assert!(stderr.contains("cannot listen"), "{stderr}");
}

/// Connections that never finish their TLS handshake are capped: with 16 pending, a 17th is
/// closed at once (not after the 10 s handshake timeout), and Terraform's own connection works
/// again once they are gone.
#[tokio::test]
async fn pending_tls_handshakes_are_capped() {
    use tokio::io::AsyncReadExt;
    let plugin = start();
    let mut idle = Vec::new();
    for _ in 0..16 {
        idle.push(
            tokio::net::UnixStream::connect(&plugin.socket)
                .await
                .expect("connect"),
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut extra = tokio::net::UnixStream::connect(&plugin.socket)
        .await
        .expect("connect");
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(5), extra.read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the 17th pending handshake must be closed at once: {read:?}"
    );
    drop(idle);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut client = plugin.provider().await;
    client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata after the idle connections left");
}

/// Windows' path, run here in-process: mTLS over loopback TCP inside the port range. Terraform's
/// certificate gets schema, metadata and StopProvider answered; another certificate, or none,
/// is refused; Shutdown ends the server.
#[tokio::test]
async fn mtls_over_loopback_tcp_like_windows() {
    use terraform_provider_alicloud::plugin::listener::{Listener, PortRange};
    use terraform_provider_alicloud::plugin::provider_service::ProviderService;
    use terraform_provider_alicloud::plugin::server::{serve, ServeOptions, Shutdown};
    use terraform_provider_alicloud::plugin::tls::server_tls;

    let id = identity().expect("identity");
    let tls = server_tls(&id.cert_pem).expect("server TLS");
    let range = PortRange::from_values(Some("21000"), Some("21999")).expect("range");
    let listener = Listener::bind_tcp(range).await.expect("bind");
    let (network, addr) = listener.announce();
    assert_eq!(network, "tcp");
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    assert!(addr.starts_with("127.0.0.1:") && (21000..=21999).contains(&port));
    let shutdown = Shutdown::new();
    let opts = ServeOptions {
        tls: Some(tls.config),
        controller_shutdown: true,
        ..ServeOptions::default()
    };
    let server = tokio::spawn(serve(
        listener,
        opts,
        ProviderService::new(),
        shutdown.clone(),
    ));

    let channel = assert_tcp_serves_only_terraform(&addr, &tls.cert_der, &id).await;
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .expect("Shutdown");
    let done = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(
        matches!(done, Ok(Ok(Ok(())))),
        "server returns after Shutdown"
    );
}
