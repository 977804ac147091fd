//! The Alibaba Cloud RPC-style OpenAPI client: a pure signer, transport with timeouts and one
//! retry policy, one error classification, the credentials chain, and typed PolarDB (2017-08-01)
//! and PolarDB-X (2020-02-02) calls.

// `ApiError` carries the service's whole answer (code, message, ids, status) by design: callers
// turn it into one diagnostic, and errors are rare next to the network round trip.
#![allow(clippy::result_large_err)]

pub mod client;
pub mod credentials;
pub mod endpoints;
pub mod error;
pub mod lenient;
pub mod pacing;
pub mod paging;
pub mod polardb;
pub mod polardb_detached;
pub mod polardbx;
pub mod polardbx_download;
#[cfg(test)]
mod response_tests;
pub mod retry;
pub mod sign;
pub mod targets;
#[cfg(test)]
pub(crate) mod test_server;

pub use client::{CallOptions, Client, ClientConfig, Product, SignatureVersion};
pub use credentials::{Credentials, CredentialsProvider, Secret};
pub use error::{ApiError, ErrorKind};
