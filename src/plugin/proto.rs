//! The Rust code `build.rs` generates from `proto/`: tfplugin6, go-plugin's services, health.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

/// Terraform plugin protocol 6.8.
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's controller, stdio and broker services.
pub mod plugin {
    tonic::include_proto!("plugin");
}

/// The standard gRPC health service.
pub mod health {
    tonic::include_proto!("grpc.health.v1");
}
