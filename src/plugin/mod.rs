//! The go-plugin handshake, mTLS, and the gRPC services Terraform calls. No business logic.

pub mod proto;
