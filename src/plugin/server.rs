//! Serves the plugin's gRPC services on a listener: per-connection TLS handshakes, go-plugin's
//! controller, stdio and broker, health, and the tfplugin6 provider.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

use super::listener::{Conn, Listener};
use super::proto::health::health_server::{Health, HealthServer};
use super::proto::health::{
    health_check_response::ServingStatus, HealthCheckRequest, HealthCheckResponse,
};
use super::proto::plugin::grpc_broker_server::{GrpcBroker, GrpcBrokerServer};
use super::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use super::proto::plugin::grpc_stdio_server::{GrpcStdio, GrpcStdioServer};
use super::proto::plugin::{ConnInfo, Empty, StdioData};
use super::proto::tfplugin6::provider_server::ProviderServer;
use super::provider_service::ProviderService;
use super::routes::Routes;

/// Terraform's own gRPC message limit; tonic's default decode limit (4 MiB) is too small.
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;

/// How long a client gets to finish its TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// TLS handshakes at once. Terraform opens one connection; a local process holding many half-open
/// handshakes (each a task and a buffer for up to [`TLS_HANDSHAKE_TIMEOUT`]) gets the excess
/// closed at once instead of growing the process without bound.
pub const MAX_PENDING_HANDSHAKES: usize = 16;

/// HTTP/2 streams at once per connection (advertised in SETTINGS). Terraform runs at most
/// `-parallelism` (default 10) RPCs at once, plus the stdio and broker streams.
pub const MAX_CONCURRENT_STREAMS: u32 = 128;

/// After Shutdown, how long in-flight responses get before the server stops regardless.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(300);

/// Process-wide shutdown: fired by the controller's Shutdown RPC, SIGTERM or Ctrl-C (debug).
#[derive(Clone)]
pub struct Shutdown {
    tx: Arc<watch::Sender<bool>>,
}

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown {
            tx: Arc::new(watch::channel(false).0),
        }
    }

    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }

    /// Completes once shutdown was triggered.
    pub async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        let _ = rx.wait_for(|t| *t).await;
    }

    /// A stream that yields nothing and ends at shutdown, for the streaming RPCs we only
    /// keep open.
    fn idle_stream<T: Send + 'static>(&self) -> ReceiverStream<Result<T, Status>> {
        let (tx, rx) = mpsc::channel(1);
        let me = self.clone();
        tokio::spawn(async move {
            me.wait().await;
            drop(tx);
        });
        ReceiverStream::new(rx)
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new()
    }
}

/// How to serve.
#[derive(Clone)]
pub struct ServeOptions {
    /// `None` serves plaintext (Terraform's TF_DISABLE_PLUGIN_TLS, and `--debug`).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Whether the controller's Shutdown RPC stops the server. True when Terraform manages the
    /// process; false in `--debug`, where one process outlives many Terraform commands.
    pub controller_shutdown: bool,
    /// TLS handshakes in progress at once; a connection beyond it is closed unanswered.
    pub max_pending_handshakes: usize,
    /// HTTP/2 streams at once per connection.
    pub max_concurrent_streams: u32,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            tls: None,
            controller_shutdown: false,
            max_pending_handshakes: MAX_PENDING_HANDSHAKES,
            max_concurrent_streams: MAX_CONCURRENT_STREAMS,
        }
    }
}

/// Serves until `shutdown` fires, then returns promptly. The listener (and thus the socket
/// file) is dropped on return, so tests can bind their own listener and call this in-process.
pub async fn serve(
    listener: Listener,
    opts: ServeOptions,
    provider: ProviderService,
    shutdown: Shutdown,
) -> Result<(), tonic::transport::Error> {
    let (conn_tx, conn_rx) = mpsc::channel::<Result<Conn, std::io::Error>>(16);
    let acceptor = opts.tls.map(tokio_rustls::TlsAcceptor::from);
    let handshakes = Arc::new(tokio::sync::Semaphore::new(opts.max_pending_handshakes));
    let accept_loop = async {
        loop {
            let raw = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let tx = conn_tx.clone();
            match &acceptor {
                None => {
                    let _ = tx.send(Ok(raw)).await;
                }
                Some(acceptor) => {
                    let Ok(permit) = handshakes.clone().try_acquire_owned() else {
                        tracing::warn!(
                            "too many TLS handshakes in progress; closing a new connection"
                        );
                        drop(raw);
                        continue;
                    };
                    // Each handshake in its own task: a slow or hostile client cannot stall others.
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let _permit = permit;
                        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(raw))
                            .await
                        {
                            Ok(Ok(tls)) => {
                                let _ = tx.send(Ok(Conn::new(tls))).await;
                            }
                            Ok(Err(e)) => tracing::warn!(error = %e, "TLS handshake refused"),
                            Err(_) => tracing::warn!("TLS handshake timed out"),
                        }
                    });
                }
            }
        }
    };

    let provider = ProviderServer::new(provider)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let routes = Routes {
        provider,
        controller: GrpcControllerServer::new(Controller {
            shutdown: shutdown.clone(),
            enabled: opts.controller_shutdown,
        }),
        stdio: GrpcStdioServer::new(Stdio(shutdown.clone())),
        broker: GrpcBrokerServer::new(Broker(shutdown.clone())),
        health: HealthServer::new(HealthService(shutdown.clone())),
    };
    let server = tonic::transport::Server::builder()
        .max_concurrent_streams(Some(opts.max_concurrent_streams))
        .serve_with_incoming_shutdown(routes, ReceiverStream::new(conn_rx), shutdown.wait());

    let deadline = async {
        shutdown.wait().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        r = server => r,
        _ = accept_loop => Ok(()),
        _ = deadline => Ok(()),
    }
}

/// go-plugin's controller: Shutdown ends the process (Terraform waits 2 s otherwise).
pub(super) struct Controller {
    shutdown: Shutdown,
    enabled: bool,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _req: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!(enabled = self.enabled, "controller Shutdown received");
        if self.enabled {
            self.shutdown.trigger();
        }
        Ok(Response::new(Empty {}))
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// go-plugin's stdio mirror: we never write to stdout/stderr through it, so the stream is empty
/// and ends at shutdown.
pub(super) struct Stdio(Shutdown);

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream = BoxStream<StdioData>;

    async fn stream_stdio(
        &self,
        _req: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(Box::pin(self.0.idle_stream())))
    }
}

/// go-plugin's broker: unused by Terraform; accepts the stream and idles.
pub(super) struct Broker(Shutdown);

#[tonic::async_trait]
impl GrpcBroker for Broker {
    type StartStreamStream = BoxStream<ConnInfo>;

    async fn start_stream(
        &self,
        _req: Request<Streaming<ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        Ok(Response::new(Box::pin(self.0.idle_stream())))
    }
}

/// grpc.health.v1: "plugin" (go-plugin's name) and "" (the whole server) are SERVING.
pub(super) struct HealthService(Shutdown);

fn status_of(service: &str) -> Result<ServingStatus, Status> {
    match service {
        "" | "plugin" => Ok(ServingStatus::Serving),
        other => Err(Status::not_found(format!("unknown service {other:?}"))),
    }
}

#[tonic::async_trait]
impl Health for HealthService {
    type WatchStream = BoxStream<HealthCheckResponse>;

    async fn check(
        &self,
        req: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let status = status_of(&req.into_inner().service)?;
        Ok(Response::new(HealthCheckResponse {
            status: status as i32,
        }))
    }

    async fn watch(
        &self,
        req: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let status = status_of(&req.into_inner().service).unwrap_or(ServingStatus::ServiceUnknown);
        let (tx, rx) = mpsc::channel(1);
        let _ = tx.try_send(Ok(HealthCheckResponse {
            status: status as i32,
        }));
        let shutdown = self.0.clone();
        tokio::spawn(async move {
            shutdown.wait().await;
            drop(tx);
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

// Both tests talk to the server over its Unix socket; the TCP path (Windows) is tested in
// listener.rs and, over mTLS, in tests/protocol.rs.
#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::plugin::proto::health::health_client::HealthClient;
    use crate::plugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
    use crate::plugin::proto::plugin::grpc_stdio_client::GrpcStdioClient;
    use crate::schema::{Block, Schema};

    /// In-process: a plaintext server on our own listener answers health, keeps the stdio
    /// stream open until Shutdown, and returns promptly after Shutdown, removing the socket.
    #[tokio::test]
    async fn serves_in_process_until_shutdown() {
        let listener = Listener::bind_unix(None).unwrap();
        let path = listener.socket_path().unwrap().to_path_buf();
        let provider = ProviderService::with(Schema::new(0, Block::new("")), vec![], vec![]);
        let shutdown = Shutdown::new();
        let opts = ServeOptions {
            tls: None,
            controller_shutdown: true,
            ..ServeOptions::default()
        };
        let server = tokio::spawn(serve(listener, opts, provider, shutdown.clone()));

        let p = path.clone();
        let channel = tonic::transport::Endpoint::from_static("http://localhost")
            .connect_with_connector(tower::service_fn(move |_: http::Uri| {
                let p = p.clone();
                async move {
                    let s = tokio::net::UnixStream::connect(&p).await?;
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(s))
                }
            }))
            .await
            .unwrap();
        let health = HealthClient::new(channel.clone())
            .check(HealthCheckRequest {
                service: "plugin".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(health.status, ServingStatus::Serving as i32);
        let unknown = HealthClient::new(channel.clone())
            .check(HealthCheckRequest {
                service: "other".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(unknown.code(), tonic::Code::NotFound);

        let mut stdio = GrpcStdioClient::new(channel.clone())
            .stream_stdio(())
            .await
            .unwrap()
            .into_inner();
        GrpcControllerClient::new(channel)
            .shutdown(Empty {})
            .await
            .unwrap();
        assert!(shutdown.is_triggered());
        let ended = tokio::time::timeout(Duration::from_secs(2), stdio.message()).await;
        assert!(
            matches!(ended, Ok(Ok(None)) | Ok(Err(_))),
            "stdio stream ends"
        );
        let result = tokio::time::timeout(Duration::from_secs(2), server).await;
        assert!(matches!(result, Ok(Ok(Ok(())))), "serve returns promptly");
        assert!(!path.exists());
    }

    /// The server advertises its cap on concurrent HTTP/2 streams in its SETTINGS, so a client
    /// cannot open more at once on one connection.
    #[tokio::test]
    async fn advertises_stream_cap() {
        let listener = Listener::bind_unix(None).unwrap();
        let path = listener.socket_path().unwrap().to_path_buf();
        let provider = ProviderService::with(Schema::new(0, Block::new("")), vec![], vec![]);
        let shutdown = Shutdown::new();
        let opts = ServeOptions {
            max_concurrent_streams: 7,
            ..ServeOptions::default()
        };
        let server = tokio::spawn(serve(listener, opts, provider, shutdown.clone()));
        let io = tokio::net::UnixStream::connect(&path).await.unwrap();
        let (send, mut conn) = h2::client::handshake(io).await.unwrap();
        let mut send = send.ready().await.unwrap();
        let req = http::Request::post("http://localhost/grpc.health.v1.Health/Check")
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .unwrap();
        let (resp, mut body) = send.send_request(req, false).unwrap();
        // An empty HealthCheckRequest: no compression, zero length.
        body.send_data(bytes::Bytes::from_static(&[0, 0, 0, 0, 0]), true)
            .unwrap();
        // Once the answer arrived, the server's SETTINGS (sent first) have been applied.
        let resp = tokio::select! {
            r = resp => r.unwrap(),
            _ = &mut conn => panic!("connection ended before the answer"),
        };
        assert_eq!(resp.status(), 200);
        assert_eq!(conn.max_concurrent_send_streams(), 7);
        shutdown.trigger();
        let done = tokio::time::timeout(Duration::from_secs(5), server).await;
        assert!(matches!(done, Ok(Ok(Ok(())))));
    }
}
