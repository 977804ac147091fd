//! A tiny raw-TCP HTTP server for unit tests, on 127.0.0.1:0: it records every request and
//! answers as each test scripts it (respond, hang, or drop the connection).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub head: String,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }

    pub fn target(&self) -> String {
        self.head
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_string()
    }

    /// The request's method.
    pub fn method(&self) -> String {
        self.head
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string()
    }

    /// The query string's parameters.
    pub fn query(&self) -> Vec<(String, String)> {
        self.target()
            .split_once('?')
            .map(|(_, q)| parse_pairs(q))
            .unwrap_or_default()
    }

    /// Every parameter: the query string's, then the form body's.
    pub fn form(&self) -> Vec<(String, String)> {
        let mut all = self.query();
        all.extend(parse_pairs(&self.body));
        all
    }

    pub fn param(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

pub fn parse_pairs(s: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// What the server does with request number `n` (0-based).
pub enum Reply {
    Respond(u16, Vec<(&'static str, String)>, String),
    Hang,
    Drop,
}

pub type Script = Arc<dyn Fn(usize, &Seen) -> Reply + Send + Sync>;

pub struct Server {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub async fn start(script: Script) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let seen2 = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let seen = seen2.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut sock).await else {
                        return;
                    };
                    let n = {
                        let mut s = seen.lock().expect("lock");
                        s.push(req.clone());
                        s.len() - 1
                    };
                    match script(n, &req) {
                        Reply::Respond(status, headers, body) => {
                            let mut out = format!(
                                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                                body.len()
                            );
                            for (k, v) in headers {
                                out.push_str(&format!("{k}: {v}\r\n"));
                            }
                            out.push_str("\r\n");
                            out.push_str(&body);
                            let _ = sock.write_all(out.as_bytes()).await;
                            let _ = sock.shutdown().await;
                        }
                        Reply::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
                        Reply::Drop => drop(sock),
                    }
                });
            }
        });
        Server {
            url: format!("http://{addr}"),
            seen,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    /// Asserts that the server has seen exactly `n` requests; a failure says `why` that many
    /// were expected and lists the request lines it saw.
    pub fn assert_requests(&self, n: usize, why: &str) {
        let lines: Vec<String> = self
            .seen()
            .iter()
            .map(|s| s.head.lines().next().unwrap_or("").to_string())
            .collect();
        assert_eq!(lines.len(), n, "{why}; requests seen: {lines:#?}");
    }
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..pos]).to_string();
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            while buf.len() < pos + 4 + len {
                let n = sock.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = String::from_utf8_lossy(&buf[pos + 4..pos + 4 + len]).to_string();
            return Some(Seen { head, body });
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}
