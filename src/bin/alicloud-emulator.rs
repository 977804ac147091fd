//! `alicloud-emulator`: the local PolarDB / PolarDB-X backup API emulator.
//!
//! Thin: parses flags (and an optional JSON config file), binds, prints the address as the first
//! stdout line, serves until SIGTERM or SIGINT.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Deserialize;
use terraform_provider_alicloud::emulator::{self, AccessKey, Config, Emulator, FaultConfig};

const HELP: &str = "\
alicloud-emulator: a local emulator of the PolarDB (2017-08-01) and PolarDB-X (2020-02-02)
backup APIs. Point a client at http://ADDRESS/ with the access key below.

USAGE: alicloud-emulator [FLAGS]

  --bind ADDR             address to listen on (default 127.0.0.1)
  --port N                port (default 0: any free port); the first stdout line is
                          `listening on http://ADDR:PORT`
  --access-key ID:SECRET  an accepted access key (repeatable; default
                          LTAIEmulatorKey:EmulatorSecret)
  --cluster ID[=STATUS]   a PolarDB cluster (repeatable; status default Running)
  --instance NAME[=STATUS]  a PolarDB-X instance (repeatable; status default Running)
  --region ID             region of the clusters and instances (default cn-hangzhou)
  --backup-duration D     how long a backup takes: 2s, 500ms, 1m (default 2s)
  --state-file PATH       keep state in this JSON file across restarts
  --config FILE           JSON with the same settings (flags given too add or override):
                          {\"bind\",\"port\",\"access_keys\":[\"ID:SECRET\"],\"clusters\":[\"pc-1=Running\"],
                           \"instances\":[..],\"region\",\"backup_duration_ms\",\"state_file\",
                           \"seed\",\"faults\":{ACTION:{..}},\"settings\":{..}}
  --fault ACTION:K=V,...  fault rule for an action or `*`; keys throttle_rate,
                          server_error_rate, drop_after_commit_rate (0..1),
                          latency_ms_min, latency_ms_max
  --seed N                seed of the fault generator (default 0)
  --help                  this text

Admin API (JSON, no auth): GET /_emulator/backups, GET /_emulator/requests,
POST /_emulator/reset, GET|POST /_emulator/faults, GET|POST /_emulator/settings,
GET|POST /_emulator/clusters, GET|POST /_emulator/instances, DELETE /_emulator/backups/ID.
";

/// The config file: every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    port: Option<u16>,
    access_keys: Vec<String>,
    clusters: Vec<String>,
    instances: Vec<String>,
    region: Option<String>,
    backup_duration_ms: Option<u64>,
    state_file: Option<PathBuf>,
    seed: Option<u64>,
    faults: FaultConfig,
    settings: Option<emulator::Settings>,
}

struct Options {
    bind: String,
    port: u16,
    config: Config,
}

fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let bad = || format!("bad duration {s:?} (try 2s, 500ms, 1m)");
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000)
    } else {
        (s, 1)
    };
    num.trim()
        .parse::<u64>()
        .map(|n| n * mult)
        .map_err(|_| bad())
}

fn parse_key(s: &str) -> Result<AccessKey, String> {
    match s.split_once(':') {
        Some((id, secret)) if !id.is_empty() && !secret.is_empty() => Ok(AccessKey {
            id: id.into(),
            secret: secret.into(),
        }),
        _ => Err("--access-key wants ID:SECRET".into()),
    }
}

fn parse_target(s: &str) -> (String, String) {
    match s.split_once('=') {
        Some((id, status)) => (id.to_string(), status.to_string()),
        None => (s.to_string(), "Running".to_string()),
    }
}

fn parse_args(args: Vec<String>) -> Result<Option<Options>, String> {
    let mut file = FileConfig::default();
    // The config file is read first, so flags can add to or override it wherever they appear.
    if let Some(i) = args.iter().position(|a| a == "--config") {
        let path = args.get(i + 1).ok_or("--config needs a file")?;
        let text = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
        file = serde_json::from_str(&text).map_err(|e| format!("config {path}: {e}"))?;
    }
    let mut keys: Vec<AccessKey> = file
        .access_keys
        .iter()
        .map(|k| parse_key(k))
        .collect::<Result<_, _>>()?;
    let mut config = Config {
        clusters: file.clusters.iter().map(|c| parse_target(c)).collect(),
        instances: file.instances.iter().map(|c| parse_target(c)).collect(),
        faults: file.faults,
        state_file: file.state_file,
        ..Config::default()
    };
    if let Some(s) = file.settings {
        config.settings = s;
    }
    if let Some(r) = file.region {
        config.region = r;
    }
    if let Some(ms) = file.backup_duration_ms {
        config.settings.backup_duration_ms = ms;
    }
    if let Some(seed) = file.seed {
        config.seed = seed;
    }
    let mut bind = file.bind.unwrap_or_else(|| "127.0.0.1".into());
    let mut port = file.port.unwrap_or(0);
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--config" => {
                value()?;
            }
            "--bind" => bind = value()?,
            "--port" => port = value()?.parse().map_err(|_| "--port wants a number")?,
            "--access-key" => keys.push(parse_key(&value()?)?),
            "--cluster" => config.clusters.push(parse_target(&value()?)),
            "--instance" => config.instances.push(parse_target(&value()?)),
            "--region" => config.region = value()?,
            "--backup-duration" => {
                config.settings.backup_duration_ms = parse_duration_ms(&value()?)?
            }
            "--state-file" => config.state_file = Some(PathBuf::from(value()?)),
            "--fault" => {
                let (action, rule) = emulator::faults::parse_flag(&value()?)?;
                config.faults.insert(action, rule);
            }
            "--seed" => config.seed = value()?.parse().map_err(|_| "--seed wants a number")?,
            other => return Err(format!("unknown flag {other} (see --help)")),
        }
    }
    if !keys.is_empty() {
        config.access_keys = keys;
    }
    Ok(Some(Options { bind, port, config }))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1).collect()) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("alicloud-emulator: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("alicloud-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let emu = match Emulator::new(opts.config) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("alicloud-emulator: {e}");
                return ExitCode::FAILURE;
            }
        };
        let listener = match tokio::net::TcpListener::bind((opts.bind.as_str(), opts.port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
                    "alicloud-emulator: cannot listen on {}:{}: {e}",
                    opts.bind, opts.port
                );
                return ExitCode::FAILURE;
            }
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => {
                eprintln!("alicloud-emulator: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{addr}");
        let _ = out.flush();
        drop(out);
        emulator::run(listener, emu, shutdown_signal()).await;
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A config file supplies keys, targets, settings and faults; flags add to it.
    #[test]
    fn config_file() {
        let path = std::env::temp_dir().join(format!("emu-cfg-{}.json", std::process::id()));
        let json = r#"{"port":7,"access_keys":["A:B"],"clusters":["pc-f=Creating"],"instances":["pxc-f"],
            "backup_duration_ms":50,"seed":3,"faults":{"*":{"throttle_rate":0.5}},
            "settings":{"polardbx_data_as_object":false}}"#;
        assert!(std::fs::write(&path, json).is_ok());
        let p = path.to_string_lossy().to_string();
        let o = parse_args(vec![
            "--config".into(),
            p,
            "--cluster".into(),
            "pc-g".into(),
        ]);
        let _ = std::fs::remove_file(&path);
        let o = match o {
            Ok(Some(o)) => o,
            other => panic!("{:?}", other.err()),
        };
        assert_eq!(o.port, 7);
        assert_eq!(o.config.access_keys[0].id, "A");
        assert_eq!(o.config.clusters.len(), 2);
        assert_eq!(o.config.clusters[0].1, "Creating");
        assert_eq!(o.config.settings.backup_duration_ms, 50);
        assert!(!o.config.settings.polardbx_data_as_object);
        assert_eq!(o.config.seed, 3);
        assert_eq!(o.config.faults["*"].throttle_rate, 0.5);
    }

    /// Durations take ms, s and m suffixes; a bare number is milliseconds.
    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("2s"), Ok(2000));
        assert_eq!(parse_duration_ms("150ms"), Ok(150));
        assert_eq!(parse_duration_ms("1m"), Ok(60_000));
        assert_eq!(parse_duration_ms("40"), Ok(40));
        assert!(parse_duration_ms("soon").is_err());
    }

    /// Flags add clusters with statuses and replace the default key.
    #[test]
    fn flags() {
        let args = [
            "--cluster",
            "pc-a",
            "--cluster",
            "pc-b=Locked",
            "--access-key",
            "K:S",
            "--port",
            "9",
        ];
        let o = parse_args(args.iter().map(|s| s.to_string()).collect())
            .ok()
            .flatten();
        let o = o.map(|o| {
            (
                o.port,
                o.config.clusters,
                o.config.access_keys[0].id.clone(),
            )
        });
        assert_eq!(
            o,
            Some((
                9,
                vec![
                    ("pc-a".into(), "Running".into()),
                    ("pc-b".into(), "Locked".into())
                ],
                "K".into()
            ))
        );
        assert!(parse_args(vec!["--bogus".into()]).is_err());
    }
}
