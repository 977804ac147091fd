//! The HTTP side: accepts connections on a bound listener, reads each request, hands it to the
//! admin API or the emulator, and writes the JSON answer (or drops the connection on purpose).

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::request::{ApiRequest, Endpoint};
use super::{admin, Emulator, Reply};

/// Requests larger than this are refused: the APIs take a handful of short parameters.
const MAX_BODY: usize = 1 << 20;

/// Returned to hyper to make it close the connection without writing a response.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped on purpose after the action ran")]
struct DropConnection;

/// Serves `emulator` on `listener` (both products on one endpoint) until `shutdown` completes.
pub async fn run(listener: TcpListener, emulator: Emulator, shutdown: impl Future<Output = ()>) {
    run_endpoints(vec![(listener, Endpoint::Any)], emulator, shutdown).await
}

/// Serves `emulator` on every listener, each the endpoint (host) of the product it names, until
/// `shutdown` completes, then lets open connections finish their current request (for at most a
/// few seconds).
pub async fn run_endpoints(
    listeners: Vec<(TcpListener, Endpoint)>,
    emulator: Emulator,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut conns = JoinSet::new();
    // The connection cap: a slot is taken before accepting, so extra clients wait in the
    // kernel's backlog instead of costing a task each.
    let slots = Arc::new(tokio::sync::Semaphore::new(
        emulator.config().max_connections.max(1),
    ));
    let header_timeout = emulator.config().header_read_timeout;
    let accept_any = || {
        std::future::poll_fn(|cx| {
            for (listener, endpoint) in &listeners {
                if let Poll::Ready(r) = listener.poll_accept(cx) {
                    return Poll::Ready((r, *endpoint));
                }
            }
            Poll::Pending
        })
    };
    'serve: loop {
        let slot = tokio::select! {
            _ = &mut shutdown => break 'serve,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break 'serve,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => continue 'serve,
        };
        tokio::select! {
            _ = &mut shutdown => break 'serve,
            (accepted, endpoint) = accept_any() => {
                let (stream, _) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let emu = emulator.clone();
                let mut stop = stop_rx.clone();
                conns.spawn(async move {
                    let _slot = slot;
                    let svc = service_fn(move |req| serve(emu.clone(), endpoint, req));
                    let conn = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(header_timeout)
                        .serve_connection(TokioIo::new(stream), svc);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = stop.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
}

fn json_response(
    status: u16,
    body: &serde_json::Value,
    request_id: Option<&str>,
) -> Response<Full<Bytes>> {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json;charset=utf-8");
    if let Some(id) = request_id {
        builder = builder.header("x-acs-request-id", id);
    }
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    builder
        .body(Full::new(Bytes::from(bytes)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

async fn serve(
    emu: Emulator,
    endpoint: Endpoint,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => {
            let body = serde_json::json!({ "Code": "InvalidParameter", "Message": "The request body could not be read or is too large." });
            return Ok(json_response(400, &body, None));
        }
    };
    if path.starts_with(admin::PREFIX) {
        if let Err((status, value)) = admin::allowed(&emu, &method, &headers) {
            return Ok(json_response(status, &value, None));
        }
        let (status, value) = admin::handle(&emu, &method, &path, &body);
        return Ok(json_response(status, &value, None));
    }
    let mut api = ApiRequest::new(&method, &path, query.as_deref(), headers, body);
    api.endpoint = endpoint;
    match emu.handle_api(api).await {
        Reply::Respond { status, body } => {
            let id = body
                .get("RequestId")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            Ok(json_response(status, &body, id.as_deref()))
        }
        Reply::Drop => Err(DropConnection),
        Reply::Gateway { status, body } => Ok(Response::builder()
            .status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY))
            .header("content-type", "text/html")
            .body(Full::new(Bytes::from(body)))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))),
    }
}
