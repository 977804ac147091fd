//! Client tests against the scripted test server on 127.0.0.1:0.

use std::sync::Arc;

use super::*;
use crate::alicloud::credentials::{Credentials, Secret, StaticCredentials};
use crate::alicloud::test_server::{parse_pairs, Reply, Seen, Server};

const SECRET: &str = "test-secret-value";

fn creds() -> Credentials {
    Credentials {
        access_key_id: "test-id".into(),
        access_key_secret: Secret::new(SECRET),
        security_token: None,
    }
}

fn client(url: &str, sig: SignatureVersion, budget: Duration) -> Client {
    Client::new(ClientConfig {
        product: Product::Polardb,
        region: "cn-hangzhou".into(),
        endpoint: url.into(),
        signature: sig,
        credentials: Arc::new(StaticCredentials(creds())),
        max_retry_timeout: budget,
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_millis(300),
        insecure_skip_verify: false,
        user_agent: "test-agent".into(),
    })
    .expect("client")
    .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

/// Call options that differ only in whether the call is idempotent.
fn opts(idempotent: bool) -> CallOptions {
    CallOptions {
        idempotent,
        ..CallOptions::default()
    }
}

fn ok_body() -> String {
    r#"{"RequestId":"OK-1","BackupJobId":11111111}"#.to_string()
}

fn err_body(code: &str, rid: &str) -> String {
    format!(
        r#"{{"RequestId":"{rid}","HostId":"polardb.aliyuncs.com","Code":"{code}","Message":"m"}}"#
    )
}

/// Checks a V2 request's signature the way the service does, with the signer's own functions.
fn v2_signature_ok(req: &Seen) -> bool {
    let params: Vec<(String, String)> = req
        .form()
        .into_iter()
        .filter(|(k, _)| k != "Signature")
        .collect();
    let expected = sign::signature_v2(
        SECRET,
        &sign::string_to_sign_v2(&req.method(), &sign::canonical_query(&params)),
    );
    req.param("Signature").as_deref() == Some(expected.as_str())
}

fn create_params() -> Vec<(&'static str, String)> {
    vec![
        ("DBClusterId", "pc-abc".to_string()),
        ("ClientToken", "token-1".to_string()),
    ]
}

/// The call most tests make: an idempotent CreateBackup with [`create_params`].
async fn create_backup(c: &Client) -> Result<serde_json::Value, ApiError> {
    c.call("CreateBackup", &create_params(), opts(true)).await
}

/// The answer of a server that checks signatures: the backup when `signed_ok`, else the refusal.
fn ok_if_signed(signed_ok: bool) -> Reply {
    if signed_ok {
        Reply::Respond(200, vec![], ok_body())
    } else {
        Reply::Respond(400, vec![], err_body("SignatureDoesNotMatch", "BAD"))
    }
}

/// A V2 call is sent as the official SDK sends it: POST to `/`, every parameter and the signature
/// in the query string, no body; it returns the parsed body.
#[tokio::test]
async fn v2_call_puts_everything_in_the_query() {
    let server = Server::start(Arc::new(|_, req| ok_if_signed(v2_signature_ok(req)))).await;
    let c = client(&server.url, SignatureVersion::V2, Duration::from_secs(2));
    let v = create_backup(&c).await.expect("call succeeds");
    assert_eq!(v["BackupJobId"], 11111111);
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].head.starts_with("POST /?"), "{}", seen[0].head);
    assert_eq!(seen[0].body, "", "no form body");
    assert_eq!(seen[0].header("content-type"), None);
    assert_eq!(seen[0].header("user-agent").as_deref(), Some("test-agent"));
    let query = seen[0].query();
    let names: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
    for name in [
        "Action",
        "Version",
        "Format",
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
        "DBClusterId",
        "ClientToken",
        "Signature",
    ] {
        assert!(
            names.contains(&name),
            "{name} missing from the query: {names:?}"
        );
    }
    assert_eq!(seen[0].param("Action").as_deref(), Some("CreateBackup"));
    assert_eq!(seen[0].param("Version").as_deref(), Some("2017-08-01"));
    assert_eq!(seen[0].param("Format").as_deref(), Some("JSON"));
}

/// Each action goes with its definition's method: PolarDB-X DescribeBackupSetList as a signed
/// GET (V2 and V3), the others as POST.
#[tokio::test]
async fn each_action_uses_its_sdk_method() {
    let server = Server::start(Arc::new(|_, req| ok_if_signed(v2_signature_ok(req)))).await;
    for sig in [SignatureVersion::V2, SignatureVersion::V3] {
        let mut config = client(&server.url, sig, Duration::from_secs(2))
            .config()
            .clone();
        config.product = Product::Polardbx;
        let c = Client::new(config).expect("client");
        let params = [("DBInstanceName", "pxc-a".to_string())];
        for (action, idempotent) in [("DescribeBackupSetList", true), ("CreateBackup", false)] {
            let answer = c.call(action, &params, opts(idempotent)).await;
            if sig == SignatureVersion::V2 {
                answer.unwrap_or_else(|e| panic!("signed {action} refused: {e:?}"));
            }
        }
    }
    let methods: Vec<String> = server.seen().iter().map(|r| r.method()).collect();
    assert_eq!(methods, ["GET", "POST", "GET", "POST"]);
    for r in server.seen() {
        assert_eq!(r.body, "", "no body with {}", r.method());
    }
}

/// A V3 call carries the parameters in the query, the x-acs headers, and a valid Authorization.
#[tokio::test]
async fn v3_call_is_signed_with_headers() {
    let server = Server::start(Arc::new(|_, req| {
        let query = req
            .target()
            .split_once('?')
            .map(|(_, q)| q.to_string())
            .unwrap_or_default();
        let params = parse_pairs(&query);
        let auth = req.header("authorization").unwrap_or_default();
        let signed_names: Vec<String> = auth
            .split("SignedHeaders=")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .unwrap_or("")
            .split(';')
            .map(String::from)
            .collect();
        let headers: Vec<(String, String)> = signed_names
            .iter()
            .map(|n| (n.clone(), req.header(n).unwrap_or_default()))
            .collect();
        let (ch, sh) = sign::canonical_headers_v3(&headers);
        let cr = sign::canonical_request_v3(
            "POST",
            "/",
            &sign::canonical_query(&params),
            &ch,
            &sh,
            &sign::hashed_payload(req.body.as_bytes()),
        );
        let sig = sign::signature_v3(SECRET, &sign::string_to_sign_v3(&cr));
        ok_if_signed(auth == sign::authorization_v3("test-id", &sh, &sig))
    }))
    .await;
    let c = client(&server.url, SignatureVersion::V3, Duration::from_secs(2));
    let v = create_backup(&c).await.expect("V3 call succeeds");
    assert_eq!(v["RequestId"], "OK-1");
    let seen = server.seen();
    assert_eq!(
        seen[0].header("x-acs-action").as_deref(),
        Some("CreateBackup")
    );
    assert!(
        seen[0].target().contains("ClientToken=token-1"),
        "{}",
        seen[0].target()
    );
}

/// Throttled attempts are retried with a fresh nonce each time and the same ClientToken.
#[tokio::test]
async fn throttling_is_retried_keeping_client_token() {
    let server = Server::start(Arc::new(|n, _| {
        if n < 2 {
            Reply::Respond(400, vec![], err_body("Throttling.User", "T"))
        } else {
            Reply::Respond(200, vec![], ok_body())
        }
    }))
    .await;
    let c = client(&server.url, SignatureVersion::V2, Duration::from_secs(5));
    create_backup(&c).await.expect("succeeds after throttling");
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    let tokens: Vec<_> = seen.iter().map(|s| s.param("ClientToken")).collect();
    assert!(
        tokens.iter().all(|t| t.as_deref() == Some("token-1")),
        "{tokens:?}"
    );
    let mut nonces: Vec<_> = seen.iter().map(|s| s.param("SignatureNonce")).collect();
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "every attempt has its own nonce");
    assert!(
        seen.iter().all(v2_signature_ok),
        "every attempt is re-signed"
    );
}

/// A positive x-acs-retry-after delays the next attempt at least that long.
#[tokio::test]
async fn retry_after_header_is_honoured() {
    let server = Server::start(Arc::new(|n, _| {
        if n == 0 {
            Reply::Respond(
                400,
                vec![("x-acs-retry-after", "300".into())],
                err_body("Throttling", "T"),
            )
        } else {
            Reply::Respond(200, vec![], ok_body())
        }
    }))
    .await;
    let c = client(&server.url, SignatureVersion::V2, Duration::from_secs(5));
    let start = Instant::now();
    c.call("DescribeBackups", &[], opts(true))
        .await
        .expect("succeeds");
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
}

/// Final errors are not retried and keep code, kind, RequestId and status.
#[tokio::test]
async fn final_errors_map_to_kinds() {
    for (code, status, kind) in [
        ("InvalidDBClusterId.NotFound", 404, ErrorKind::NotFound),
        ("BackupTimesExceeded", 403, ErrorKind::Quota),
        ("InvalidAccessKeyId.NotFound", 404, ErrorKind::Auth),
        ("SignatureDoesNotMatch", 400, ErrorKind::Auth),
    ] {
        let server = Server::start(Arc::new(move |_, _| {
            Reply::Respond(status, vec![], err_body(code, "RID-9"))
        }))
        .await;
        let c = client(&server.url, SignatureVersion::V2, Duration::from_secs(2));
        let e = create_backup(&c).await.expect_err("fails");
        assert_eq!(e.kind, kind, "{code}");
        assert_eq!(e.code, code);
        assert_eq!(e.request_id.as_deref(), Some("RID-9"));
        assert_eq!(e.http_status, Some(status));
        assert_eq!(e.attempts, 1);
        server.assert_requests(1, &format!("{code} is not retried"));
    }
}

/// Persistent server errors end with budget_exhausted and the last RequestId.
#[tokio::test]
async fn budget_exhaustion() {
    let server = Server::start(Arc::new(|n, _| {
        Reply::Respond(
            503,
            vec![],
            err_body("ServiceUnavailable", &format!("R{n}")),
        )
    }))
    .await;
    let e = failed_call(&server, Duration::from_millis(600), "DescribeBackups", true).await;
    assert!(e.budget_exhausted);
    assert_eq!(e.kind, ErrorKind::ServerError);
    let seen = server.seen().len();
    assert!(seen >= 2, "retried before giving up ({seen})");
    assert_eq!(e.attempts as usize, seen);
    assert_eq!(e.request_id, Some(format!("R{}", seen - 1)));
}

/// No answer to a non-idempotent call (the server hangs past the read timeout, or drops the
/// connection) is Ambiguous, returned after the one attempt.
#[tokio::test]
async fn no_answer_to_a_write_is_ambiguous() {
    for (what, hang, timeout_ms) in [("hang", true, 500), ("drop", false, 100)] {
        let server = Server::start(Arc::new(
            move |_, _| {
                if hang {
                    Reply::Hang
                } else {
                    Reply::Drop
                }
            },
        ))
        .await;
        let timeout = Duration::from_millis(timeout_ms);
        let e = failed_call(&server, timeout, "CreateBackup", false).await;
        assert_eq!(e.kind, ErrorKind::Ambiguous, "{what}: {e:?}");
        assert_eq!(e.attempts, 1, "{what}");
        assert!(!e.budget_exhausted, "{what}");
        server.assert_requests(1, what);
    }
}

/// No answer to an idempotent call (a read) is retried, and its final error is "unreachable",
/// never a write's "may have happened".
#[tokio::test]
async fn no_answer_to_a_read_is_unreachable() {
    let server = Server::start(Arc::new(|_, _| Reply::Hang)).await;
    let e = failed_call(&server, Duration::from_millis(500), "DescribeBackups", true).await;
    assert_eq!(e.kind, ErrorKind::Connect);
    assert!(e.attempts >= 2, "idempotent call retried: {}", e.attempts);
    let d = crate::diagnostics::api_error("read the PolarDB backup", &e);
    assert!(!d.detail.contains("may or may not"), "{}", d.detail);
}

/// Nothing listening is a Connect error that names the endpoint, the region and the setting,
/// not a spent retry budget.
#[tokio::test]
async fn refused_connection_is_connect() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let c = client(
        &format!("http://{addr}"),
        SignatureVersion::V2,
        Duration::ZERO,
    );
    let e = c
        .call("DescribeBackups", &[], opts(true))
        .await
        .expect_err("refused");
    assert_eq!(e.kind, ErrorKind::Connect);
    assert!(!e.budget_exhausted);
    for part in [
        format!("http://{addr}"),
        "cn-hangzhou".to_string(),
        "endpoints.polardb".to_string(),
        "refused".to_string(),
    ] {
        assert!(e.message.contains(&part), "{part} not in {}", e.message);
    }
    assert!(!e.message.contains("Signature"), "{}", e.message);
}

/// The client's Debug shows the endpoint and never the secret.
#[test]
fn debug_has_no_secret() {
    let c = client("http://127.0.0.1:1", SignatureVersion::V2, Duration::ZERO);
    let d = format!("{c:?}");
    assert!(d.contains("127.0.0.1:1"), "{d}");
    assert!(!d.contains(SECRET), "{d}");
}

/// Endpoints without a scheme get https and the path is always `/`.
#[test]
fn endpoint_urls() {
    let u = endpoint_url("polardb.aliyuncs.com").expect("url");
    assert_eq!(u.as_str(), "https://polardb.aliyuncs.com/");
    let u = endpoint_url("http://127.0.0.1:8080/x?y=1").expect("url");
    assert_eq!(u.as_str(), "http://127.0.0.1:8080/");
    assert!(endpoint_url("http://").is_err());
}

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Debug logs name the action, attempt and RequestId but never the secret, token or signature.
#[tokio::test]
async fn logs_carry_no_secrets() {
    let server = Server::start(Arc::new(|n, _| {
        if n == 0 {
            Reply::Respond(503, vec![], err_body("ServiceUnavailable", "RID-FIRST"))
        } else {
            Reply::Respond(200, vec![], ok_body())
        }
    }))
    .await;
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut c = client(&server.url, SignatureVersion::V2, Duration::from_secs(2));
    let sts = Credentials {
        access_key_id: "test-id".into(),
        access_key_secret: Secret::new(SECRET),
        security_token: Some(Secret::new("sts-token-value")),
    };
    c = Client::new(ClientConfig {
        credentials: Arc::new(StaticCredentials(sts)),
        ..c.config().clone()
    })
    .expect("client")
    .with_backoff(Duration::from_millis(5), Duration::from_millis(20));
    create_backup(&c).await.expect("succeeds");
    let text = String::from_utf8_lossy(&captured.0.lock().expect("lock")).to_string();
    // Scoped subscribers race with tests on other threads over tracing's per-callsite interest
    // cache, so one of the two lines can be missed; at least one attempt line must be there.
    assert!(
        text.contains("action=\"CreateBackup\"")
            && (text.contains("RID-FIRST") || text.contains("OK-1")),
        "{text}"
    );
    let signature = server.seen()[0].param("Signature").unwrap_or_default();
    for secret in [SECRET, "sts-token-value", signature.as_str()] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

/// A 2xx answer with `"Success": false` and a Code is an error; non-JSON 2xx is Other.
#[test]
fn success_false_is_an_error() {
    let answer = |status, body: &str| Answer {
        status,
        retry_after: None,
        body: body.to_string(),
    };
    let e = interpret(
        "CreateBackup",
        &answer(
            200,
            r#"{"Success":false,"Code":"DBInstance.NotFound","Message":"m","RequestId":"R"}"#,
        ),
    )
    .expect_err("error");
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(e.request_id.as_deref(), Some("R"));
    let e = interpret("X", &answer(200, "<html>ok</html>")).expect_err("not JSON");
    assert_eq!(e.kind, ErrorKind::Other);
    let v = interpret("X", &answer(200, r#"{"Success":true,"Data":[]}"#)).expect("ok");
    assert_eq!(v["Success"], true);
}

/// `"Success": false` without a Code (PolarDB-X) is an error carrying the Message and RequestId,
/// never an empty success; `"false"` as a string counts too.
#[test]
fn success_false_without_code_is_an_error() {
    for body in [
        r#"{"Success":false,"Message":"instance pxc-a is locked","RequestId":"R-9","Data":[]}"#,
        r#"{"Success":"false","Message":"instance pxc-a is locked","RequestId":"R-9"}"#,
    ] {
        let e = parse_response("CreateBackup", 200, body).expect_err(body);
        assert_eq!(e.code, codes::UNSUCCESSFUL);
        assert_eq!(e.kind, ErrorKind::Other);
        assert_eq!(e.message, "instance pxc-a is locked");
        assert_eq!(e.request_id.as_deref(), Some("R-9"));
        assert_eq!(e.http_status, Some(200));
    }
    let e = parse_response("CreateBackup", 200, r#"{"Success":false}"#).expect_err("bare");
    assert!(e.message.contains("Success"), "{}", e.message);
}

/// The HTTP client is built on the first call, not by `new`, and is shared by clones and by a
/// client of another product with the same transport settings, but not with different ones.
#[tokio::test]
async fn http_client_is_lazy_and_shared() {
    let server = Server::start(Arc::new(|_, _| Reply::Respond(200, vec![], ok_body()))).await;
    let a = client(&server.url, SignatureVersion::V2, Duration::from_secs(2));
    assert!(
        a.http.get().is_none(),
        "new() must not build the HTTP client"
    );
    let mut other = a.config().clone();
    other.product = Product::Polardbx;
    let b = Client::new(other.clone()).unwrap().sharing_http_with(&a);
    let clone = a.clone();
    a.call("DescribeBackups", &[], opts(true))
        .await
        .expect("call");
    assert!(a.http.get().is_some());
    assert!(Arc::ptr_eq(&a.http, &b.http) && Arc::ptr_eq(&a.http, &clone.http));
    other.read_timeout = Duration::from_secs(9);
    let c = Client::new(other).unwrap().sharing_http_with(&a);
    assert!(!Arc::ptr_eq(&a.http, &c.http) && c.http.get().is_none());
}

/// `action` (a read if `idempotent`), signed V2, against `server` with `budget` to retry in: the
/// call must fail, and its error is returned.
async fn failed_call(
    server: &Server,
    budget: Duration,
    action: &str,
    idempotent: bool,
) -> ApiError {
    let c = client(&server.url, SignatureVersion::V2, budget);
    c.call(action, &[], opts(idempotent))
        .await
        .expect_err("the call fails")
}

/// A stop signal that fires after `after`.
fn stop_after(after: Duration) -> crate::resource::StopSignal {
    let (handle, signal) = crate::resource::stop_channel();
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        handle.stop();
    });
    signal
}

/// A create on a client stopped 300 ms in: it must fail as Stopped well before its 20 s backoff
/// or 60 s read timeout would end (within 2 s, generous on a loaded machine; the time is printed).
async fn create_backup_stopped(c: &Client, when: &str) -> ApiError {
    let started = std::time::Instant::now();
    let e = create_backup(c).await.expect_err("stopped");
    let took = started.elapsed();
    eprintln!("stopped {when}: returned {took:?} after start, stop at 300 ms");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(e.kind, ErrorKind::Stopped);
    e
}

/// Ctrl-C while throttled: the backoff sleep ends at once with a Stopped error that says no
/// request was in flight.
#[tokio::test]
async fn stop_ends_backoff_at_once() {
    let server = Server::start(Arc::new(|n, _| {
        Reply::Respond(400, vec![], err_body("Throttling.User", &format!("T{n}")))
    }))
    .await;
    let c = client(&server.url, SignatureVersion::V2, Duration::from_secs(300))
        .with_backoff(Duration::from_secs(20), Duration::from_secs(20));
    let stop = stop_after(Duration::from_millis(300));
    let c = c.with_stop(&stop);
    let e = create_backup_stopped(&c, "during backoff").await;
    assert_eq!(e.code, codes::STOPPED_BEFORE_SEND);
    let again = create_backup(&c).await.expect_err("still stopped");
    assert_eq!(again.code, codes::STOPPED_BEFORE_SEND);
    server.assert_requests(1, "nothing sent once stopped");
}

/// Ctrl-C while a request is in flight: the call returns at once and says the request may have
/// reached the service.
#[tokio::test]
async fn stop_ends_attempt_in_flight() {
    let server = Server::start(Arc::new(|_, _| Reply::Hang)).await;
    let mut config = client(&server.url, SignatureVersion::V2, Duration::from_secs(300))
        .config()
        .clone();
    config.read_timeout = Duration::from_secs(60);
    let stop = stop_after(Duration::from_millis(300));
    let c = Client::new(config).expect("client").with_stop(&stop);
    let e = create_backup_stopped(&c, "in flight").await;
    assert_eq!(e.code, codes::STOPPED);
    assert!(e.message.contains("may have reached"), "{}", e.message);
}

/// A redirect is not followed: the signed request never reaches the other host, and the error
/// names where it pointed without quoting a URL.
#[tokio::test]
async fn redirects_are_not_followed() {
    let elsewhere = Server::start(Arc::new(|_, _| Reply::Respond(200, vec![], ok_body()))).await;
    let target = format!("{}/?Signature=leak", elsewhere.url);
    let server = Server::start(Arc::new(move |_, _| {
        Reply::Respond(302, vec![("location", target.clone())], String::new())
    }))
    .await;
    let c = client(&server.url, SignatureVersion::V2, Duration::from_secs(300));
    let e = create_backup(&c).await.expect_err("redirect refused");
    assert!(elsewhere.seen().is_empty(), "followed the redirect");
    assert!(e.message.contains("redirect"), "{}", e.message);
    assert!(e.message.contains("127.0.0.1"), "{}", e.message);
    assert!(!e.message.contains("Signature"), "{}", e.message);
    server.assert_requests(1, "a redirect is final");
}

/// Answers larger than BODY_LIMIT are refused without being read whole.
#[tokio::test]
async fn response_bodies_are_capped() {
    let server = Server::start(Arc::new(|_, _| {
        let mut body = String::from("{\"RequestId\":\"R\",\"Pad\":\"");
        body.push_str(&"x".repeat(BODY_LIMIT + 1));
        body.push_str("\"}");
        Reply::Respond(200, vec![], body)
    }))
    .await;
    let c = client(&server.url, SignatureVersion::V2, Duration::from_secs(300));
    let e = create_backup(&c).await.expect_err("too large");
    assert!(e.message.contains("8 MiB"), "{}", e.message);
    server.assert_requests(1, "not retried");
}

/// Plain http is refused for hosts that are not loopback unless `insecure` is set.
#[test]
fn plain_http_needs_loopback_or_insecure() {
    let mut config = client("http://127.0.0.1:9", SignatureVersion::V2, Duration::ZERO)
        .config()
        .clone();
    config.endpoint = "http://polardb.example.com".into();
    let e = Client::new(config.clone()).expect_err("refused");
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.contains("insecure = true"), "{}", e.message);
    assert!(e.message.contains("endpoints.polardb"), "{}", e.message);
    config.insecure_skip_verify = true;
    Client::new(config).expect("allowed with insecure");
}

/// A densely throttled action is paced for every client sharing the configuration, and only
/// that action.
#[tokio::test]
async fn throttling_paces_the_action() {
    let dense = crate::alicloud::pacing::FIRST_JUDGED_THROTTLES;
    let server = Server::start(Arc::new(move |n, _| {
        if n < dense {
            Reply::Respond(400, vec![], err_body("Throttling.User", "T"))
        } else {
            Reply::Respond(200, vec![], ok_body())
        }
    }))
    .await;
    let c = client(&server.url, SignatureVersion::V2, Duration::from_secs(30));
    create_backup(&c)
        .await
        .expect("succeeds after the throttles");
    let key = format!("{}/CreateBackup", c.host);
    let other = Client::new(c.config().clone())
        .expect("client")
        .sharing_http_with(&c);
    assert!(
        other.shared.pacers.rate(&key).is_some(),
        "paced after a throttle"
    );
    assert_eq!(
        other
            .shared
            .pacers
            .rate(&format!("{}/DescribeBackups", c.host)),
        None
    );
}

/// For a call that is not idempotent, a gateway 5xx without an API error body (502, 504) is an
/// unknown outcome: Ambiguous at once, never repeated, even once the endpoint is known good. A
/// 5xx with the API's own error body is still retried.
#[tokio::test]
async fn gateway_5xx_is_ambiguous_for_non_idempotent_calls() {
    let server = Server::start(Arc::new(|n, _| match n {
        0 => Reply::Respond(200, vec![], ok_body()),
        1 => Reply::Respond(504, vec![], "<html>Gateway Timeout</html>".into()),
        2 => Reply::Respond(502, vec![], String::new()),
        3 => Reply::Respond(503, vec![], err_body("ServiceUnavailable", "R3")),
        _ => Reply::Respond(200, vec![], ok_body()),
    }))
    .await;
    let c = client(&server.url, SignatureVersion::V2, Duration::from_secs(30));
    let write = opts(false);
    c.call("CreateBackup", &[], write)
        .await
        .expect("known good");
    for status in [504, 502] {
        let e = c
            .call("CreateBackup", &[], write)
            .await
            .expect_err("ambiguous");
        assert_eq!(e.kind, ErrorKind::Ambiguous, "{status}: {e:?}");
        assert_eq!(e.http_status, Some(status));
        assert_eq!(e.attempts, 1);
        assert!(e.message.contains("outcome is unknown"), "{}", e.message);
    }
    c.call("CreateBackup", &[], write)
        .await
        .expect("an API 503 is retried");
    server.assert_requests(
        5,
        "the 504 and the 502 sent once each, the API's 503 once more",
    );
}

/// A code-less `Success: false` is not-found when its message says so, else a plain error.
#[test]
fn unsuccessful_messages_are_classified() {
    for (message, kind) in [
        (
            "The specified DBInstanceName does not exist.",
            ErrorKind::NotFound,
        ),
        ("Backup set not found", ErrorKind::NotFound),
        ("The instance is busy.", ErrorKind::Other),
        ("", ErrorKind::Other),
    ] {
        assert_eq!(super::unsuccessful_kind(message), kind, "{message:?}");
    }
}

/// Ctrl-C while a create waits for its instance's turn (a lock held by an adoption): the wait
/// ends with a Stopped error that says nothing was sent, and a client without a stop signal
/// waits for the turn as before.
#[tokio::test]
async fn stop_ends_a_wait_outside_the_client() {
    let gate = tokio::sync::RwLock::new(());
    let _adopting = gate.write().await;
    let server = Server::start(Arc::new(|_, _| Reply::Respond(200, vec![], "{}".into()))).await;
    let c = client(&server.url, SignatureVersion::V2, Duration::from_secs(300));
    let stopping = c.with_stop(&stop_after(Duration::from_millis(200)));
    let started = std::time::Instant::now();
    let e = stopping
        .until_stopped("CreateBackup", gate.read())
        .await
        .map(|_| ())
        .expect_err("stopped while waiting for the turn");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(e.kind, ErrorKind::Stopped);
    assert_eq!(e.code, codes::STOPPED_BEFORE_SEND);
    let waited = tokio::time::timeout(
        Duration::from_millis(300),
        c.until_stopped("CreateBackup", gate.read()),
    )
    .await;
    assert!(waited.is_err(), "without a stop signal the wait goes on");
    assert!(server.seen().is_empty(), "nothing was sent");
}
