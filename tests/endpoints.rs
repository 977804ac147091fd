//! Wrong endpoints fail fast (issue 11): each connectivity mistake, through the real `terraform`,
//! fails in seconds with a message that names the endpoint, the region and the setting to check.
//! The bounds are generous (30 s) for a loaded machine; the client gives up after about 10 s.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::util::emulator::Emulator;
use crate::util::terraform::Terraform;

/// The generous bound on time to error: the client's own limit is about 10 s.
const BOUND: Duration = Duration::from_secs(30);

/// A configuration reading the PolarDB data source through `endpoint`.
fn terraform_at(name: &str, endpoint: &str) -> Terraform {
    let tf = Terraform::new(name);
    tf.write(
        "main.tf",
        &format!(
            r#"
provider "alicloud" {{
  region     = "cn-hangzhou"
  access_key = "LTAIendpointtest"
  secret_key = "endpoint-test-secret"
  endpoints {{
    polardb  = "{endpoint}"
    polardbx = "{endpoint}"
  }}
}}

data "alicloud_polardb_backups" "all" {{
  db_cluster_id = "pc-bp1234567890abcde"
}}
"#
        ),
    );
    tf
}

/// Runs `terraform plan` (which reads the data source), expects it to fail, and returns its
/// combined output and how long it took; prints the time for the record.
fn plan_fails(tf: &Terraform, case: &str) -> (String, Duration) {
    let args = ["plan", "-input=false", "-no-color"];
    let started = Instant::now();
    let out = tf.run(&args);
    let took = started.elapsed();
    assert!(
        !out.status.success(),
        "{case}: plan succeeded:{}",
        tf.describe(&args, &out)
    );
    eprintln!("time to error, {case}: {:.1} s", took.as_secs_f64());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Terraform wraps long lines; join them so phrases can be found whole.
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(took < BOUND, "{case}: took {took:?}:\n{text}");
    (text, took)
}

/// Asserts the message names what the user must check, and never gives up on a budget.
fn names_endpoint(case: &str, text: &str, endpoint: &str) {
    for part in [endpoint, "cn-hangzhou", "endpoints.polardb"] {
        assert!(text.contains(part), "{case}: {part:?} not named:\n{text}");
    }
    assert!(
        !text.contains("max_retry_timeout"),
        "{case}: advises the retry budget:\n{text}"
    );
    assert!(
        !text.contains("may or may not"),
        "{case}: a read gets a write's advice:\n{text}"
    );
    assert!(
        !text.contains("endpoint-test-secret"),
        "{case}: the secret leaked:\n{text}"
    );
}

/// A loopback port with nothing listening.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A loopback server that answers every connection with `answer` (raw HTTP), or with nothing
/// at all when `answer` is `None` (it accepts and holds the connection open).
fn raw_server(answer: Option<&'static str>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { continue };
            match answer {
                Some(text) => {
                    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
                    let mut buf = [0u8; 8192];
                    let _ = conn.read(&mut buf);
                    let _ = conn.write_all(text.as_bytes());
                }
                None => held.push(conn),
            }
        }
    });
    port
}

const HTML_502: &str = "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: 62\r\nconnection: close\r\n\r\n<html><body><h1>502 Bad Gateway</h1><p>proxy</p></body></html>";

/// Connection refused (a closed port) fails in seconds, naming the endpoint and the setting.
#[test]
fn closed_port_fails_fast() {
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let tf = terraform_at("endpoint-closed", &endpoint);
    let (text, _) = plan_fails(&tf, "connection refused");
    names_endpoint("connection refused", &text, &endpoint);
    assert!(text.contains("refused"), "{text}");
}

/// A host that does not resolve fails in seconds and says so.
#[test]
fn unresolvable_host_fails_fast() {
    let endpoint = "https://polardb.cn-hangzou.invalid";
    let tf = terraform_at("endpoint-dns", endpoint);
    let (text, _) = plan_fails(&tf, "DNS failure");
    names_endpoint("DNS failure", &text, endpoint);
}

/// An endpoint written without a scheme means https; against a plain-http server (the
/// emulator) the TLS handshake fails fast, and the message suggests writing `http://`.
#[test]
fn missing_scheme_against_http_fails_fast() {
    let emu = Emulator::start(&[]);
    let bare = emu.url().trim_start_matches("http://").to_string();
    let tf = terraform_at("endpoint-no-scheme", &bare);
    let (text, _) = plan_fails(&tf, "no scheme against http");
    names_endpoint("no scheme against http", &text, &format!("https://{bare}"));
    assert!(text.contains("http://"), "{text}");
    assert!(text.contains("TLS"), "{text}");
}

/// A port that accepts and never answers fails within the per-attempt deadline, not after the
/// five minute budget.
#[test]
fn silent_port_fails_fast() {
    let endpoint = format!("http://127.0.0.1:{}", raw_server(None));
    let tf = terraform_at("endpoint-silent", &endpoint);
    let (text, _) = plan_fails(&tf, "accepts, never answers");
    names_endpoint("accepts, never answers", &text, &endpoint);
    assert!(text.contains("no complete answer"), "{text}");
}

/// A proxy's HTML 502 page, from an endpoint that never answered like the API, fails fast and
/// quotes the page.
#[test]
fn html_502_fails_fast() {
    let endpoint = format!("http://127.0.0.1:{}", raw_server(Some(HTML_502)));
    let tf = terraform_at("endpoint-html", &endpoint);
    let (text, _) = plan_fails(&tf, "HTML 502");
    names_endpoint("HTML 502", &text, &endpoint);
    assert!(text.contains("502 Bad Gateway"), "{text}");
}

/// Plain http to a host that is not loopback is refused before any request, naming the fix.
#[test]
fn plain_http_elsewhere_is_refused() {
    let endpoint = "http://polardb.example.com";
    let tf = terraform_at("endpoint-plain-http", endpoint);
    let (text, took) = plan_fails(&tf, "plain http to another host");
    assert!(text.contains(endpoint), "{text}");
    assert!(text.contains("insecure = true"), "{text}");
    assert!(took < Duration::from_secs(15), "{took:?}");
}
