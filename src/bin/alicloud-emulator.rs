//! `alicloud-emulator`: the local PolarDB / PolarDB-X backup API emulator.
//!
//! Thin: parses flags (and an optional JSON config file), binds, prints the PolarDB endpoint as
//! the first stdout line and the PolarDB-X endpoint as the second, serves until SIGTERM or SIGINT.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Deserialize;
use terraform_provider_alicloud::emulator::{
    self, AccessKey, AdminToken, Config, Dialect, Emulator, Endpoint, FaultConfig, Strict,
};

/// The environment variable that may hold the admin token instead of `--admin-token`.
const ADMIN_TOKEN_ENV: &str = "ALICLOUD_EMULATOR_ADMIN_TOKEN";

const HELP: &str = "\
alicloud-emulator: a local emulator of the PolarDB (2017-08-01) and PolarDB-X (2020-02-02)
backup APIs. Point a client at http://ADDRESS/ with the access key below.

USAGE: alicloud-emulator [FLAGS]

  --bind ADDR             address to listen on (default 127.0.0.1); anything but a
                          loopback address needs an admin token
  --admin-token TOKEN     the token /_emulator/* requests must carry as
                          `Authorization: Bearer TOKEN` (or env ALICLOUD_EMULATOR_ADMIN_TOKEN)
  --max-connections N     connections served at once (default 256); more wait
  --header-timeout D      close a connection that takes longer than D to send a request's
                          headers (default 10s)
  --port N                port of the PolarDB endpoint (default 0: any free port); the
                          first stdout line is `listening on http://ADDR:PORT`
  --polardbx-port N       port of the PolarDB-X endpoint (default 0: any free port); the
                          second stdout line is `polardbx listening on http://ADDR:PORT`.
                          Both endpoints serve both products unless host-product is on
  --access-key ID:SECRET  an accepted access key (repeatable; default
                          LTAIEmulatorKey:EmulatorSecret)
  --cluster ID[=STATUS]   a PolarDB cluster (repeatable; status default Running)
  --instance NAME[=STATUS]  a PolarDB-X instance (repeatable; status default Running)
  --region ID             region of the clusters and instances (default cn-hangzhou)
  --backup-duration D     how long a backup takes: 2s, 500ms, 1m (default 2s)
  --state-file PATH       keep state in this JSON file across restarts
  --config FILE           JSON with the same settings (flags given too add or override):
                          {\"bind\",\"port\",\"polardbx_port\",\"access_keys\":[\"ID:SECRET\"],
                           \"clusters\":[\"pc-1=Running\"],\"instances\":[..],\"region\",
                           \"backup_duration_ms\",\"state_file\",\"seed\",\"faults\":{ACTION:{..}},
                           \"dialect\",\"strict\":[NAME],\"rate_limit\":{ACTION:N},
                           \"settings\":{..}}
  --fault ACTION:K=V,...  fault rule for an action or `*`; keys throttle_rate,
                          server_error_rate, drop_after_commit_rate (0..1),
                          latency_ms_min, latency_ms_max
  --seed N                seed of the fault generator (default 0)
  --dialect D             documented (default: today's convenient reading) or strict (the
                          least convenient reading of every open point, all at once)
  --strict NAME[,NAME..]  switch strict behaviours on one by one: job-ids, finished-only,
                          tasks-vanish, get-only, success-false, gateway-502, page-cap,
                          host-product, region-check (see docs/api-notes.md)
  --rate-limit [ACTION=]N account-wide flow control: N requests per second for ACTION, or
                          for every action without its own limit (repeatable); over it,
                          requests get Throttling.User
  --help                  this text

Admin API (JSON; no auth on loopback unless a token is set; POST and DELETE must say
Content-Type: application/json): GET /_emulator/backups, GET /_emulator/requests, GET /_emulator/stats,
POST /_emulator/reset, GET|POST /_emulator/faults, GET|POST /_emulator/settings,
GET|POST /_emulator/clusters, GET|POST /_emulator/instances, DELETE /_emulator/backups/ID.
";

/// The config file: every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    port: Option<u16>,
    polardbx_port: Option<u16>,
    dialect: Option<Dialect>,
    strict: Vec<Strict>,
    rate_limit: BTreeMap<String, f64>,
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
    admin_token: Option<String>,
    port: u16,
    polardbx_port: u16,
    config: Config,
}

/// The most requests per second a limit may name: beyond it there is no flow control to speak of.
const MAX_RATE: f64 = 1_000_000.0;

/// Parses `--rate-limit`'s `N` or `ACTION=N`.
fn parse_rate_limit(s: &str) -> Result<(String, f64), String> {
    let (action, n) = match s.split_once('=') {
        Some((a, n)) if !a.trim().is_empty() => (a.trim().to_string(), n),
        Some(_) => return Err(format!("--rate-limit {s:?}: the action before = is empty")),
        None => ("*".to_string(), s),
    };
    let rate = validate_rate(n.trim().parse::<f64>().ok())
        .ok_or_else(|| format!("--rate-limit {s:?}: want a number of requests per second above 0 and at most {MAX_RATE}"))?;
    Ok((action, rate))
}

fn validate_rate(r: Option<f64>) -> Option<f64> {
    r.filter(|r| r.is_finite() && *r > 0.0 && *r <= MAX_RATE)
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
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(bad)
}

/// Whether `bind` is a loopback address (or `localhost`), where the admin API may stay open.
fn is_loopback(bind: &str) -> bool {
    let host = bind.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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
    if let Some(d) = file.dialect {
        config.settings.dialect = d;
    }
    config.settings.strict.extend(file.strict);
    for (action, rate) in file.rate_limit {
        let rate = validate_rate(Some(rate)).ok_or_else(|| {
            format!("rate_limit {action:?}: want a number above 0 and at most {MAX_RATE}")
        })?;
        config.settings.rate_limit.insert(action, rate);
    }
    let mut bind = file.bind.unwrap_or_else(|| "127.0.0.1".into());
    let mut port = file.port.unwrap_or(0);
    let mut polardbx_port = file.polardbx_port.unwrap_or(0);
    let mut admin_token = std::env::var(ADMIN_TOKEN_ENV)
        .ok()
        .filter(|t| !t.is_empty());
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
            "--admin-token" => admin_token = Some(value()?).filter(|t| !t.is_empty()),
            "--max-connections" => {
                config.max_connections = value()?
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=65_536).contains(n))
                    .ok_or("--max-connections wants a number from 1 to 65536")?
            }
            "--header-timeout" => {
                let ms = parse_duration_ms(&value()?)?;
                if !(1..=3_600_000).contains(&ms) {
                    return Err("--header-timeout wants a duration from 1ms to 1h".into());
                }
                config.header_read_timeout = std::time::Duration::from_millis(ms);
            }
            "--port" => port = value()?.parse().map_err(|_| "--port wants a number")?,
            "--polardbx-port" => {
                polardbx_port = value()?
                    .parse()
                    .map_err(|_| "--polardbx-port wants a number")?
            }
            "--dialect" => config.settings.dialect = Dialect::parse(&value()?)?,
            "--strict" => config
                .settings
                .strict
                .extend(Strict::parse_list(&value()?)?),
            "--rate-limit" => {
                let (action, rate) = parse_rate_limit(&value()?)?;
                config.settings.rate_limit.insert(action, rate);
            }
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
    config.settings.validate()?;
    if !is_loopback(&bind) && admin_token.is_none() {
        return Err(format!(
            "--bind {bind} is not a loopback address: anyone who can reach it could drive the admin API, so give an admin token with --admin-token or {ADMIN_TOKEN_ENV}"
        ));
    }
    if let Some(t) = &admin_token {
        if t.len() < 16 {
            return Err("the admin token must be at least 16 characters".into());
        }
    }
    config.admin_token = admin_token.clone().map(AdminToken::new);
    Ok(Some(Options {
        bind,
        admin_token,
        port,
        polardbx_port,
        config,
    }))
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
        let mut listeners = Vec::new();
        for (port, endpoint) in [
            (opts.port, Endpoint::Polardb),
            (opts.polardbx_port, Endpoint::Polardbx),
        ] {
            match tokio::net::TcpListener::bind((opts.bind.as_str(), port)).await {
                Ok(l) => listeners.push((l, endpoint)),
                Err(e) => {
                    eprintln!(
                        "alicloud-emulator: cannot listen on {}:{port}: {e}",
                        opts.bind
                    );
                    return ExitCode::FAILURE;
                }
            }
        }
        let mut addrs = Vec::new();
        for (l, _) in &listeners {
            match l.local_addr() {
                Ok(a) => addrs.push(a),
                Err(e) => {
                    eprintln!("alicloud-emulator: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        let mut out = std::io::stdout().lock();
        // The first line's shape is relied on by scripts and the test harness: never change it.
        let _ = writeln!(out, "listening on http://{}", addrs[0]);
        let _ = writeln!(out, "polardbx listening on http://{}", addrs[1]);
        let _ = out.flush();
        drop(out);
        if opts.admin_token.is_some() {
            eprintln!(
                "alicloud-emulator: the admin API (/_emulator/) requires the admin token (Authorization: Bearer TOKEN)"
            );
        }
        emulator::run_endpoints(listeners, emu, shutdown_signal()).await;
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

    /// Dialect, strict behaviours and rate limits come from flags and the config file; bad names
    /// and rates are refused with a message naming the flag.
    #[test]
    fn dialect_and_rate_limit_flags() {
        let args = [
            "--dialect",
            "strict",
            "--strict",
            "page-cap,job-ids",
            "--rate-limit",
            "10",
            "--rate-limit",
            "DescribeBackupSetList=5",
            "--polardbx-port",
            "8",
        ];
        let o = parse_args(args.iter().map(|s| s.to_string()).collect())
            .ok()
            .flatten();
        let Some(o) = o else {
            panic!("flags refused");
        };
        assert_eq!(o.config.settings.dialect, Dialect::Strict);
        assert_eq!(o.config.settings.strict.len(), 2);
        assert_eq!(o.config.settings.rate_limit["*"], 10.0);
        assert_eq!(o.config.settings.rate_limit["DescribeBackupSetList"], 5.0);
        assert_eq!(o.polardbx_port, 8);
        for (flag, bad, says) in [
            ("--dialect", "loose", "documented or strict"),
            ("--strict", "job-id", "job-ids"),
            ("--rate-limit", "0", "--rate-limit"),
            ("--rate-limit", "NaN", "--rate-limit"),
            ("--rate-limit", "=3", "action"),
            ("--rate-limit", "1e300", "at most"),
        ] {
            let e = parse_args(vec![flag.into(), bad.into()])
                .err()
                .unwrap_or_default();
            assert!(e.contains(says), "{flag} {bad}: {e}");
        }
    }

    /// Fuzz-ish: extreme numbers in every numeric flag are refused with a message or taken,
    /// never a panic; the ones no run needs are refused.
    #[test]
    fn extreme_flag_values_never_panic() {
        let values = [
            "0",
            "-1",
            "65536",
            "4294967296",
            "18446744073709551615",
            "18446744073709551616",
            "18446744073709551615s",
            "18446744073709551615m",
            "1e400",
            "NaN",
            "",
        ];
        let flags = [
            "--port",
            "--polardbx-port",
            "--backup-duration",
            "--seed",
            "--rate-limit",
            "--max-connections",
            "--header-timeout",
        ];
        for flag in flags {
            for v in values {
                let _ = parse_args(vec![flag.into(), v.into()]);
            }
        }
        for spec in [
            "*:latency_ms_max=18446744073709551615",
            "*:latency_ms_min=18446744073709551616",
            "*:throttle_rate=1e400",
        ] {
            let _ = parse_args(vec!["--fault".into(), spec.into()]);
        }
        for (flag, v) in [
            ("--backup-duration", "18446744073709551615s"),
            ("--backup-duration", "31d"),
            ("--backup-duration", "99999999m"),
            ("--max-connections", "0"),
            ("--header-timeout", "0ms"),
            ("--port", "65536"),
            ("--rate-limit", "1e400"),
        ] {
            assert!(
                parse_args(vec![flag.into(), v.into()]).is_err(),
                "{flag} {v} should be refused"
            );
        }
    }

    /// A bind beyond loopback needs a token of some length; loopback does not.
    #[test]
    fn bind_and_admin_token() {
        let args = |a: &[&str]| parse_args(a.iter().map(|s| s.to_string()).collect());
        assert!(args(&["--bind", "::1"]).is_ok());
        assert!(args(&["--bind", "localhost"]).is_ok());
        let e = args(&["--bind", "0.0.0.0"]).err().unwrap_or_default();
        assert!(e.contains("--admin-token"), "{e}");
        assert!(args(&["--bind", "0.0.0.0", "--admin-token", "short"]).is_err());
        let ok = args(&["--bind", "0.0.0.0", "--admin-token", "0123456789abcdef"]);
        assert!(matches!(ok, Ok(Some(o)) if o.config.admin_token.is_some()));
    }
}
