//! What the temporary sources (ECS role, AssumeRole, OIDC) share: the refresh cache, and the
//! rules for every request to the metadata service and STS.
//!
//! Those requests carry or return secrets, so they go nowhere else: never through a proxy
//! (`HTTPS_PROXY` is ignored), never after a redirect, over plain HTTP only to a loopback host
//! or the metadata service's own address, with a cap on the answer's size and a deadline on the
//! whole exchange rather than on each read.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tokio::sync::Notify;

use super::{Credentials, CredentialsProvider, Secret};
use crate::alicloud::error::{ApiError, ErrorKind};
use crate::timefmt;

/// Temporary credentials are refreshed this long before they expire.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// The largest answer read from the metadata service or STS.
pub const MAX_BODY: usize = 1 << 20;
/// The metadata service's address: the one host plain HTTP may go to besides loopback.
pub const METADATA_HOST: &str = "100.100.100.200";

/// A source of temporary credentials: they are fetched through its [`Cache`], so callers share
/// one fetch and get them again only shortly before they expire.
#[async_trait]
pub trait TemporarySource: Send + Sync + std::fmt::Debug {
    fn cache(&self) -> &Cache;

    /// Asks the metadata service or STS for new credentials.
    async fn fetch(&self) -> Result<Fetched, ApiError>;
}

#[async_trait]
impl<T: TemporarySource> CredentialsProvider for T {
    async fn credentials(&self) -> Result<Credentials, ApiError> {
        self.cache().get_or_fetch(|| self.fetch()).await
    }
}

/// Cached temporary credentials and when they expire.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub creds: Credentials,
    pub expires: SystemTime,
}

impl Fetched {
    fn fresh(&self, now: SystemTime) -> bool {
        now + REFRESH_MARGIN < self.expires
    }
}

#[derive(Debug, Default)]
struct State {
    cached: Option<Fetched>,
    /// A fetch is under way; others wait for it instead of starting their own.
    refreshing: bool,
    /// Counts finished fetches, so a waiter knows one ended while it waited.
    generation: u64,
    /// The error of the last fetch, handed to those who waited for it.
    last_error: Option<ApiError>,
}

/// The cache of one temporary source. Its lock guards only memory: it is never held across a
/// network call, so a hanging metadata service or STS cannot block anything but the one fetch
/// (which has its own deadline). Concurrent callers share one fetch.
#[derive(Debug, Default)]
pub struct Cache {
    state: Mutex<State>,
    done: Notify,
}

/// Clears `refreshing` and wakes the waiters even when the fetching future is dropped midway.
struct Refreshing<'a>(&'a Cache);

impl Drop for Refreshing<'_> {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        if st.refreshing {
            // The fetch was abandoned: no outcome to share, waiters fetch for themselves.
            st.refreshing = false;
            st.generation += 1;
            st.last_error = None;
        }
        drop(st);
        self.0.done.notify_waiters();
    }
}

/// What a caller does next (decided under the lock, done after it is released).
enum Step<'a> {
    Fresh(Credentials),
    /// Another caller is fetching: wait for it (registered under the lock, so the wake-up
    /// cannot be missed), then look again.
    Wait(tokio::sync::futures::Notified<'a>, u64),
    Fetch,
}

impl Cache {
    fn next_step(&self) -> Step<'_> {
        let mut st = self.lock();
        if let Some(c) = st.cached.as_ref().filter(|c| c.fresh(SystemTime::now())) {
            return Step::Fresh(c.creds.clone());
        }
        if st.refreshing {
            // `notify_waiters` wakes a `Notified` from its creation on, polled or not.
            return Step::Wait(self.done.notified(), st.generation);
        }
        st.refreshing = true;
        Step::Fetch
    }

    /// The error of a fetch that ended after `generation`, if it failed.
    fn error_since(&self, generation: u64) -> Option<ApiError> {
        let st = self.lock();
        (st.generation > generation)
            .then(|| st.last_error.clone())
            .flatten()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The cached credentials while fresh; else one fetch (`fetch` is called at most once per
    /// call, and not at all while fresh or while another caller's fetch is running).
    pub async fn get_or_fetch<F, Fut>(&self, fetch: F) -> Result<Credentials, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fetched, ApiError>>,
    {
        loop {
            match self.next_step() {
                Step::Fresh(creds) => return Ok(creds),
                Step::Wait(notified, generation) => {
                    notified.await;
                    if let Some(e) = self.error_since(generation) {
                        return Err(e);
                    }
                    continue;
                }
                Step::Fetch => {}
            }
            let guard = Refreshing(self);
            let result = fetch().await;
            {
                let mut st = self.lock();
                st.refreshing = false;
                st.generation += 1;
                match &result {
                    Ok(f) => {
                        st.cached = Some(f.clone());
                        st.last_error = None;
                    }
                    Err(e) => st.last_error = Some(e.clone()),
                }
            }
            drop(guard);
            return result.map(|f| f.creds);
        }
    }
}

/// Why a URL may not receive a metadata or STS request, or `None` when it may: https anywhere;
/// plain http only to a loopback host (a test's stand-in) or to the metadata service's address.
pub fn refuse_url(url: &url::Url) -> Option<String> {
    let host = url.host_str().unwrap_or("");
    match url.scheme() {
        "https" if !host.is_empty() => None,
        "http" if is_loopback(host) || host == METADATA_HOST => None,
        "http" => Some(format!(
            "{url} uses plain http to a host that is not loopback; credentials are requested \
             over https only"
        )),
        _ => Some(format!("{url} is not an http or https URL")),
    }
}

/// True for `localhost` and loopback addresses (127.0.0.0/8, ::1).
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The client for metadata and STS requests: no proxy, no redirects, the given connect timeout.
pub fn http_client(action: &str, connect: Duration) -> Result<reqwest::Client, ApiError> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect)
        .build()
        .map_err(|e| {
            ApiError::local(
                ErrorKind::Other,
                action,
                "HttpClient",
                format!("cannot build the HTTP client: {e}"),
            )
        })
}

/// One answer: status and body (at most [`MAX_BODY`] bytes).
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Sends `request` and reads the answer, the whole exchange bounded by `deadline`.
pub async fn exchange(
    action: &str,
    request: reqwest::RequestBuilder,
    deadline: Duration,
) -> Result<Answer, ApiError> {
    let work = async {
        let mut resp = request.send().await.map_err(|e| transport(action, &e))?;
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| transport(action, &e))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(ApiError::local(
                    ErrorKind::Other,
                    action,
                    "CredentialsUnavailable",
                    format!("the answer is larger than {MAX_BODY} bytes"),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    };
    match tokio::time::timeout(deadline, work).await {
        Ok(r) => r,
        Err(_) => Err(ApiError::local(
            ErrorKind::Connect,
            action,
            "CredentialsUnavailable",
            format!("no complete answer within {} s", deadline.as_secs()),
        )),
    }
}

fn transport(action: &str, e: &reqwest::Error) -> ApiError {
    let kind = if e.is_connect() {
        ErrorKind::Connect
    } else {
        ErrorKind::Ambiguous
    };
    ApiError::local(kind, action, "CredentialsUnavailable", e.to_string())
}

/// Reads the temporary keys out of a metadata or STS JSON object.
pub fn temporary_keys(action: &str, v: &serde_json::Value) -> Result<Fetched, ApiError> {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let (id, secret, token, exp) = (
        s("AccessKeyId"),
        Secret::new(s("AccessKeySecret")),
        Secret::new(s("SecurityToken")),
        s("Expiration"),
    );
    let expires = timefmt::parse_iso8601(&exp).map(timefmt::from_unix_secs);
    match (id.is_empty() || secret.expose().is_empty(), expires) {
        (false, Some(expires)) => Ok(Fetched {
            creds: Credentials {
                access_key_id: id,
                access_key_secret: secret,
                security_token: (!token.expose().is_empty()).then_some(token),
            },
            expires,
        }),
        _ => Err(ApiError::local(
            ErrorKind::Auth,
            action,
            "CredentialsUnavailable",
            "the answer holds no AccessKeyId/AccessKeySecret/Expiration",
        )),
    }
}

/// Parses an answer's JSON body, or says it is not JSON.
pub fn json_body(action: &str, what: &str, body: &str) -> Result<serde_json::Value, ApiError> {
    serde_json::from_str(body).map_err(|_| {
        ApiError::local(
            ErrorKind::Other,
            action,
            "CredentialsUnavailable",
            format!("the {what} answer is not JSON"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn fetched(minutes: i64) -> Fetched {
        Fetched {
            creds: Credentials {
                access_key_id: "id".into(),
                access_key_secret: Secret::new("s"),
                security_token: None,
            },
            expires: SystemTime::now() + Duration::from_secs((minutes * 60) as u64),
        }
    }

    /// https anywhere, http only to loopback or the metadata address, nothing else.
    #[test]
    fn url_rules() {
        let ok = [
            "https://sts.cn-hangzhou.aliyuncs.com",
            "http://127.0.0.1:8080",
            "http://[::1]:9",
            "http://localhost:1",
            "http://100.100.100.200",
        ];
        for u in ok {
            assert_eq!(refuse_url(&url::Url::parse(u).unwrap()), None, "{u}");
        }
        for u in [
            "http://sts.aliyuncs.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
        ] {
            assert!(refuse_url(&url::Url::parse(u).unwrap()).is_some(), "{u}");
        }
    }

    /// While one caller's fetch hangs, the cache's lock is free: a second caller is not
    /// blocked on it and shares the fetch's outcome instead of starting another.
    #[tokio::test]
    async fn lock_is_not_held_across_the_fetch() {
        let cache = Arc::new(Cache::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(Notify::new());
        let (c1, n1, r1) = (cache.clone(), calls.clone(), release.clone());
        let first = tokio::spawn(async move {
            c1.get_or_fetch(|| async move {
                n1.fetch_add(1, Ordering::SeqCst);
                r1.notified().await;
                Ok(fetched(60))
            })
            .await
        });
        while calls.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        // The state lock can be taken at once while the fetch is in flight.
        assert!(cache.state.try_lock().is_ok());
        let (c2, n2) = (cache.clone(), calls.clone());
        let second = tokio::spawn(async move {
            c2.get_or_fetch(|| async move {
                n2.fetch_add(1, Ordering::SeqCst);
                Ok(fetched(60))
            })
            .await
        });
        tokio::task::yield_now().await;
        release.notify_waiters();
        assert!(first.await.unwrap().is_ok());
        assert!(second.await.unwrap().is_ok());
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one fetch shared");
    }

    /// A failed fetch's error is handed to those who waited for it; they do not fetch again.
    #[tokio::test]
    async fn waiters_share_a_failure() {
        let cache = Arc::new(Cache::default());
        let release = Arc::new(Notify::new());
        let started = Arc::new(AtomicUsize::new(0));
        let (c1, r1, s1) = (cache.clone(), release.clone(), started.clone());
        let first = tokio::spawn(async move {
            c1.get_or_fetch(|| async move {
                s1.fetch_add(1, Ordering::SeqCst);
                r1.notified().await;
                Err(ApiError::local(ErrorKind::Auth, "T", "Refused", "no"))
            })
            .await
        });
        while started.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let c2 = cache.clone();
        let second = tokio::spawn(async move {
            c2.get_or_fetch(|| async { panic!("the waiter must not fetch") })
                .await
        });
        // Lets the second caller reach its wait (one thread: it runs when this task yields).
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        release.notify_waiters();
        assert_eq!(first.await.unwrap().unwrap_err().code, "Refused");
        assert_eq!(second.await.unwrap().unwrap_err().code, "Refused");
    }

    /// A fetch whose caller gave up (its future dropped) does not leave others waiting forever.
    #[tokio::test]
    async fn dropped_fetch_releases_waiters() {
        let cache = Cache::default();
        let hung = cache.get_or_fetch(std::future::pending::<Result<Fetched, ApiError>>);
        let _ = tokio::time::timeout(Duration::from_millis(20), hung).await;
        let got = tokio::time::timeout(
            Duration::from_secs(30),
            cache.get_or_fetch(|| async { Ok(fetched(60)) }),
        )
        .await;
        assert!(got.expect("not stuck").is_ok());
    }

    /// The whole exchange has a deadline: a server that never answers gives a clear error.
    #[tokio::test]
    async fn exchange_has_a_deadline() {
        use crate::alicloud::test_server::{Reply, Server};
        let server = Server::start(Arc::new(|_, _| Reply::Hang)).await;
        let client = http_client("T", Duration::from_secs(5)).unwrap();
        let e = exchange("T", client.get(&server.url), Duration::from_millis(300))
            .await
            .err()
            .expect("times out");
        assert!(e.message.contains("no complete answer"), "{}", e.message);
    }
}
