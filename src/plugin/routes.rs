//! Routes each gRPC request to one of the plugin's five services by its path, in place of
//! tonic's `router` feature: that router is built on axum, which added about 0.2 MB to the
//! binary for a job a `match` on the path prefix does.

use std::convert::Infallible;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::{BoxFuture, Service};
use tonic::server::NamedService;

use super::proto::health::health_server::HealthServer;
use super::proto::plugin::grpc_broker_server::GrpcBrokerServer;
use super::proto::plugin::grpc_controller_server::GrpcControllerServer;
use super::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use super::proto::tfplugin6::provider_server::ProviderServer;
use super::provider_service::ProviderService;
use super::server::{Broker, Controller, HealthService, Stdio};

/// Every service the plugin serves; cloned per connection by tonic (each is an `Arc` inside).
#[derive(Clone)]
pub struct Routes {
    pub provider: ProviderServer<ProviderService>,
    pub controller: GrpcControllerServer<Controller>,
    pub stdio: GrpcStdioServer<Stdio>,
    pub broker: GrpcBrokerServer<Broker>,
    pub health: HealthServer<HealthService>,
}

/// The service name in a gRPC path `/package.Service/Method`.
fn service_of(path: &str) -> &str {
    path.trim_start_matches('/')
        .split_once('/')
        .map_or("", |(service, _)| service)
}

impl Service<http::Request<Body>> for Routes {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Every generated service is always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let service = service_of(req.uri().path());
        if service == ProviderServer::<ProviderService>::NAME {
            self.provider.call(req)
        } else if service == GrpcControllerServer::<Controller>::NAME {
            self.controller.call(req)
        } else if service == GrpcStdioServer::<Stdio>::NAME {
            self.stdio.call(req)
        } else if service == GrpcBrokerServer::<Broker>::NAME {
            self.broker.call(req)
        } else if service == HealthServer::<HealthService>::NAME {
            self.health.call(req)
        } else {
            let status = tonic::Status::unimplemented(format!("unknown service {service:?}"));
            Box::pin(std::future::ready(Ok(status.into_http())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The service name is the path's first segment; malformed paths name no service.
    #[test]
    fn service_names() {
        assert_eq!(
            service_of("/tfplugin6.Provider/GetProviderSchema"),
            "tfplugin6.Provider"
        );
        assert_eq!(
            service_of("/plugin.GRPCController/Shutdown"),
            "plugin.GRPCController"
        );
        assert_eq!(service_of("/nothing"), "");
        assert_eq!(service_of(""), "");
    }
}
