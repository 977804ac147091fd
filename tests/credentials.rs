//! Credentials end to end through the real `terraform`: OIDC role credentials (Kubernetes RRSA)
//! from a fake STS on loopback, then backups made in the emulator with the temporary keys.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::util::emulator::{Emulator, CLUSTER};
use crate::util::terraform::Terraform;

/// The security token the fake STS hands out.
const STS_TOKEN: &str = "CAIS-fake-sts-token";

/// A fake STS on 127.0.0.1: answers every request with the emulator's key as temporary
/// credentials, and records each request's target and body.
struct FakeSts {
    url: String,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

impl FakeSts {
    fn start(access_key: &str, secret: &str) -> FakeSts {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake STS");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let (seen2, ak, sk) = (seen.clone(), access_key.to_string(), secret.to_string());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request_line = String::new();
                let _ = reader.read_line(&mut request_line);
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let target = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .to_string();
                seen2
                    .lock()
                    .expect("lock")
                    .push((target, String::from_utf8_lossy(&body).into_owned()));
                let expires = SystemTime::now() + Duration::from_secs(3600);
                let answer = serde_json::json!({
                    "RequestId": "FAKE-STS-1",
                    "Credentials": {
                        "AccessKeyId": ak,
                        "AccessKeySecret": sk,
                        "SecurityToken": STS_TOKEN,
                        "Expiration": iso8601(expires),
                    }
                })
                .to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        FakeSts { url, seen }
    }

    fn seen(&self) -> Vec<(String, String)> {
        self.seen.lock().expect("lock").clone()
    }
}

/// `YYYY-MM-DDThh:mm:ssZ` (days from civil, Howard Hinnant's algorithm, inverted).
fn iso8601(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).expect("after epoch").as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The form fields of a request body.
fn form(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Terraform in a "pod" with RRSA: no keys anywhere, only the three OIDC variables and a
/// token file, and arguments written as for the official provider (`max_retry_timeout = 60`);
/// apply creates a backup signed with the STS token, destroy removes it.
#[test]
fn rrsa_environment_apply_and_destroy() {
    let emu = Emulator::start_default();
    let sts = FakeSts::start(emu.access_key(), emu.secret());
    let tf = Terraform::new("cred-rrsa");
    let token = tf.write("oidc-token", "eyJhbGciOiJSUzI1NiJ9.rrsa.sig");
    tf.write(
        "provider.tf",
        &format!(
            "provider \"alicloud\" {{\n  region = \"cn-hangzhou\"\n  # As the official provider takes them.\n  max_retry_timeout = 60\n  client_read_timeout = 60000\n  configuration_source = \"ci/backups\"\n  endpoints {{\n    polardb  = \"{url}\"\n    polardbx = \"{url}\"\n    sts      = \"{sts}\"\n  }}\n}}\n",
            url = emu.url(),
            sts = sts.url
        ),
    );
    tf.write(
        "main.tf",
        &format!(
            "resource \"alicloud_polardb_backup\" \"b\" {{\n  db_cluster_id = \"{CLUSTER}\"\n}}\n"
        ),
    );
    let home = crate::util::TempDir::new("cred-rrsa-home");
    let tf = tf
        .env("HOME", &home.path().display().to_string())
        .env(
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "acs:ram::1234567890:oidc-provider/ack-rrsa-c1",
        )
        .env(
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            &token.display().to_string(),
        )
        .env(
            "ALIBABA_CLOUD_ROLE_ARN",
            "acs:ram::1234567890:role/backup-operator",
        )
        .env("ALIBABA_CLOUD_ROLE_SESSION_NAME", "ci-pod");
    tf.without_ambient_credentials(
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &[],
    )
    .ok();

    let calls = sts.seen();
    assert!(!calls.is_empty(), "STS was never called");
    let (target, body) = &calls[0];
    assert!(target.contains("Action=AssumeRoleWithOIDC"), "{target}");
    let fields = form(body);
    assert_eq!(
        field(&fields, "OIDCToken"),
        Some("eyJhbGciOiJSUzI1NiJ9.rrsa.sig"),
        "{body}"
    );
    assert_eq!(field(&fields, "RoleSessionName"), Some("ci-pod"), "{body}");
    assert_eq!(
        field(&fields, "Signature"),
        None,
        "the OIDC call is anonymous: {body}"
    );

    let log = emu.requests();
    let creates: Vec<&Value> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["action"] == "CreateBackup")
        .collect();
    assert_eq!(creates.len(), 1, "{log}");
    // The emulator logs the token redacted; its presence shows the temporary keys signed it.
    assert!(
        creates[0]["params"]["SecurityToken"].is_string(),
        "{}",
        creates[0]
    );
    assert_eq!(creates[0]["outcome"], "Success", "{}", creates[0]);
    let state = tf.show_json();
    let resources = &state["values"]["root_module"]["resources"];
    assert!(
        resources[0]["values"]["backup_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{state}"
    );
    assert!(!state.to_string().contains(STS_TOKEN), "STS token in state");

    let mut destroy = tf.command(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    crate::util::run_ok(&mut destroy);
    let left = emu.backups();
    assert_eq!(left.as_array().map(Vec::len), Some(0), "{left}");
}

/// The official provider's shape: an `assume_role_with_oidc` block with an inline token and no
/// variables; a plan reads a data source through the emulator with the STS credentials.
#[test]
fn oidc_block_with_inline_token() {
    let emu = Emulator::start_default();
    let sts = FakeSts::start(emu.access_key(), emu.secret());
    let tf = Terraform::new("cred-oidc-block");
    tf.write(
        "provider.tf",
        &format!(
            "provider \"alicloud\" {{\n  region = \"cn-hangzhou\"\n  assume_role_with_oidc {{\n    oidc_provider_arn = \"acs:ram::1234567890:oidc-provider/idp\"\n    role_arn          = \"acs:ram::1234567890:role/backup-reader\"\n    oidc_token        = \"eyJ.inline.token\"\n    role_session_name = \"block-session\"\n    session_expiration = 900\n  }}\n  endpoints {{\n    polardb  = \"{url}\"\n    polardbx = \"{url}\"\n    sts      = \"{sts}\"\n  }}\n}}\n",
            url = emu.url(),
            sts = sts.url
        ),
    );
    tf.write(
        "main.tf",
        &format!(
            "data \"alicloud_polardb_backups\" \"all\" {{\n  db_cluster_id = \"{CLUSTER}\"\n}}\n"
        ),
    );
    let home = crate::util::TempDir::new("cred-oidc-block-home");
    let mut plan = tf.without_ambient_credentials(
        &["plan", "-input=false", "-no-color"],
        &[
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            "ALIBABA_CLOUD_ROLE_ARN",
        ],
    );
    plan.cmd().env("HOME", home.path());
    let out = plan.ok();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("eyJ.inline.token"), "token in plan output");

    let calls = sts.seen();
    assert_eq!(
        calls.len(),
        1,
        "one STS call per provider process: {calls:?}"
    );
    let fields = form(&calls[0].1);
    assert_eq!(field(&fields, "OIDCToken"), Some("eyJ.inline.token"));
    assert_eq!(field(&fields, "RoleSessionName"), Some("block-session"));
    assert_eq!(field(&fields, "DurationSeconds"), Some("900"));
    let log = emu.requests();
    let reads: Vec<&Value> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["action"] == "DescribeBackups")
        .collect();
    assert!(!reads.is_empty(), "{log}");
    assert!(
        reads
            .iter()
            .all(|r| r["outcome"] == "Success" && r["params"]["SecurityToken"].is_string()),
        "{log}"
    );
}
