//! The `/_emulator/` JSON endpoints: look behind the API (backups, request log), change the
//! world behind Terraform's back (delete a backup, change a cluster), and steer behaviour
//! (faults, settings, reset). Open on loopback (the default) unless an admin token is set; a
//! token is required to listen anywhere else. Requests that change anything must say
//! `Content-Type: application/json`, which a web page cannot send without the browser asking
//! first, so a page the user visits cannot reset or steer a local emulator.

use serde::Deserialize;
use serde_json::{json, Value};

use super::state::{Progress, Settings, Target};
use super::Emulator;

/// The path prefix of every admin endpoint.
pub const PREFIX: &str = "/_emulator/";

/// A cluster or instance to add or change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetChange {
    id: String,
    #[serde(default = "running")]
    status: String,
    #[serde(default)]
    region: Option<String>,
}

fn running() -> String {
    "Running".into()
}

/// Whether an admin request may go on: the token when one is set, and a JSON content type for
/// anything but a read.
pub fn allowed(
    emu: &Emulator,
    method: &str,
    headers: &[(String, String)],
) -> Result<(), (u16, Value)> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(token) = &emu.config().admin_token {
        let given = header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !token.matches(given.trim()) {
            return Err((
                401,
                json!({ "error": "the admin API needs the emulator's admin token: send Authorization: Bearer TOKEN" }),
            ));
        }
    }
    let read = matches!(method, "GET" | "HEAD");
    let json_type = header("content-type").is_some_and(|v| {
        v.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
    });
    if !read && !json_type {
        return Err((
            415,
            json!({ "error": format!("admin {method} requests must have Content-Type: application/json") }),
        ));
    }
    Ok(())
}

fn bad_request(msg: impl std::fmt::Display) -> (u16, Value) {
    (400, json!({ "error": msg.to_string() }))
}

/// Answers one admin request with a status and a JSON body.
pub fn handle(emu: &Emulator, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let route = path
        .strip_prefix(PREFIX)
        .unwrap_or_default()
        .trim_end_matches('/');
    let now_ms = crate::timefmt::unix_millis(std::time::SystemTime::now());
    match (method, route) {
        ("GET", "backups") => (200, backups(emu, now_ms)),
        ("GET", "requests") => (200, json!(emu.log())),
        ("GET", "stats") => (200, json!({ "actions": emu.stats() })),
        ("POST", "reset") => {
            emu.reset();
            (200, json!({ "ok": true }))
        }
        ("GET", "faults") => (200, json!(emu.faults())),
        ("POST", "faults") => match serde_json::from_slice(body) {
            Ok(f) => {
                emu.set_faults(f);
                (200, json!(emu.faults()))
            }
            Err(e) => bad_request(e),
        },
        ("GET", "settings") => (200, json!(emu.with_state(|s| s.settings.clone()))),
        ("POST", "settings") => settings(emu, body),
        ("GET", "clusters") => (200, json!(emu.with_state(|s| s.clusters.clone()))),
        ("GET", "instances") => (200, json!(emu.with_state(|s| s.instances.clone()))),
        ("POST", "clusters") | ("POST", "instances") => {
            let change: TargetChange = match serde_json::from_slice(body) {
                Ok(c) => c,
                Err(e) => return bad_request(e),
            };
            let region = change.region.unwrap_or_else(|| emu.config().region.clone());
            let target = Target {
                status: change.status,
                region,
            };
            emu.with_state(|s| {
                let map = if route == "clusters" {
                    &mut s.clusters
                } else {
                    &mut s.instances
                };
                map.insert(change.id.clone(), target.clone());
            });
            (
                200,
                json!({ "id": change.id, "status": target.status, "region": target.region }),
            )
        }
        ("DELETE", r) if r.starts_with("backups/") => {
            let id = &r["backups/".len()..];
            let removed = emu.with_state(|s| {
                let before = s.polardb_backups.len() + s.polardbx_backups.len();
                s.polardb_backups
                    .retain(|b| b.backup_id != id && b.job_id() != id);
                s.polardbx_backups
                    .retain(|b| b.backup_set_id.to_string() != id);
                before - s.polardb_backups.len() - s.polardbx_backups.len()
            });
            if removed == 0 {
                (404, json!({ "error": format!("no backup {id}") }))
            } else {
                (200, json!({ "deleted": id }))
            }
        }
        _ => (
            404,
            json!({ "error": format!("no admin endpoint {method} {path}") }),
        ),
    }
}

/// Every backup of both products, as one list.
fn backups(emu: &Emulator, now_ms: i64) -> Value {
    let word = |p| match p {
        Progress::Running(_) => "Running",
        Progress::Success => "Success",
        Progress::Failed => "Failed",
    };
    emu.with_state(|s| {
        let mut out = Vec::new();
        for b in &s.polardb_backups {
            out.push(json!({
                "product": "polardb",
                "id": b.backup_id,
                "job_id": b.job_id(),
                "db_cluster_id": b.db_cluster_id,
                "status": word(b.job.progress(now_ms)),
                "client_token": b.client_token,
                "start_ms": b.job.started_ms,
                "end_ms": b.job.end_ms(),
            }));
        }
        for b in &s.polardbx_backups {
            out.push(json!({
                "product": "polardbx",
                "id": b.backup_set_id.to_string(),
                "db_instance_name": b.db_instance_name,
                "region_id": b.region_id,
                "status": word(b.job.progress(now_ms)),
                "status_code": super::polardbx::status_code(b, now_ms),
                "client_token": null,
                "start_ms": b.job.started_ms,
                "end_ms": b.job.end_ms(),
            }));
        }
        Value::Array(out)
    })
}

/// Merges the given keys into the current settings; unknown keys are refused.
fn settings(emu: &Emulator, body: &[u8]) -> (u16, Value) {
    let patch: Value = match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => Value::Object(m),
        Ok(_) => return bad_request("settings must be a JSON object"),
        Err(e) => return bad_request(e),
    };
    let current = emu.with_state(|s| s.settings.clone());
    let mut merged = json!(current);
    if let (Value::Object(m), Value::Object(p)) = (&mut merged, patch) {
        for (k, v) in p {
            if !m.contains_key(&k) {
                return bad_request(format!("unknown setting {k}"));
            }
            m.insert(k, v);
        }
    }
    match serde_json::from_value::<Settings>(merged) {
        Ok(new) if new.validate().is_err() => bad_request(new.validate().err().unwrap_or_default()),
        Ok(new) => {
            emu.with_state(|s| s.settings = new.clone());
            (200, json!(new))
        }
        Err(e) => bad_request(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::Config;

    fn emu() -> Emulator {
        let cfg = Config {
            clusters: vec![("pc-1".into(), "Running".into())],
            ..Config::default()
        };
        match Emulator::new(cfg) {
            Ok(e) => e,
            Err(e) => panic!("{e}"),
        }
    }

    /// A POST to the admin API's `route`: its status and JSON answer.
    fn post(e: &Emulator, route: &str, body: &str) -> (u16, Value) {
        handle(e, "POST", &format!("{PREFIX}{route}"), body.as_bytes())
    }

    /// Settings merge key by key; an unknown key or a wrong type is refused.
    #[test]
    fn settings_merge() {
        let e = emu();
        let (st, v) = post(&e, "settings", r#"{"backup_duration_ms":50}"#);
        assert_eq!(st, 200);
        assert_eq!(v["backup_duration_ms"], 50);
        assert_eq!(v["polardbx_data_as_object"], true);
        for refused in [r#"{"nope":1}"#, r#"{"fail_next_backups":"x"}"#] {
            assert_eq!(post(&e, "settings", refused).0, 400, "{refused}");
        }
    }

    /// A cluster's status can be changed, and reset brings back the configured world.
    #[test]
    fn clusters_and_reset() {
        let e = emu();
        let status = || e.with_state(|s| s.clusters["pc-1"].status.clone());
        let (st, _) = post(&e, "clusters", r#"{"id":"pc-1","status":"Locked"}"#);
        assert_eq!(st, 200);
        assert_eq!(status(), "Locked");
        post(&e, "reset", "");
        assert_eq!(status(), "Running");
        assert_eq!(handle(&e, "DELETE", "/_emulator/backups/42", b"").0, 404);
        assert_eq!(handle(&e, "GET", "/_emulator/nothing", b"").0, 404);
    }
}
