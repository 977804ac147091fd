//! The go-plugin handshake, mTLS, and the gRPC services Terraform calls. No business logic.
//!
//! - [`handshake`]: magic cookie, protocol negotiation, the stdout handshake line.
//! - [`tls`]: the per-launch server certificate and the pinned client-certificate verifier.
//! - [`listener`]: the private Unix socket (loopback TCP on Windows) and the connection IO type.
//! - [`operations`]: one stop signal per Terraform operation, and the RPCs in flight.
//! - [`server`]: the gRPC server: controller, stdio, broker, health, provider.
//! - `routes`: sends each request to its service by path (no axum router).
//! - [`provider_service`]: tfplugin6 `Provider`, dispatching to [`crate::provider`] and
//!   [`crate::resource`].
//! - [`run`]: the managed (Terraform) and `--debug` modes `main` chooses between.
//! - [`ephemeral`]: the ephemeral-resource RPCs (Terraform 1.10+).
//! - [`convert`]: schemas, diagnostics and values to and from wire messages.
//! - [`proto`]: generated code.

pub mod convert;
pub mod ephemeral;
pub mod handshake;
pub mod listener;
pub mod operations;
pub mod proto;
pub mod provider_service;
mod routes;
pub mod run;
pub mod server;
pub mod tls;
