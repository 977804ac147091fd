//! `terraform-provider-alicloud`: a Terraform provider for Alibaba Cloud PolarDB and PolarDB-X
//! backups, and a local emulator of the backup APIs it calls.
//!
//! # Layout
//!
//! - [`plugin`]: go-plugin handshake, mTLS, and the gRPC services Terraform calls (tfplugin6
//!   `Provider`, controller, stdio, health). Translates wire messages; holds no business logic.
//! - [`tfvalue`]: [`tfvalue::Value`] and [`tfvalue::Type`], and their msgpack and JSON codecs.
//! - [`schema`]: schemas of the provider, resources and data sources, with builders.
//! - [`diagnostics`]: the diagnostic type, the messages several callers share (API errors,
//!   invalid attributes, waits, credentials) and the text rules every message follows; a message
//!   only one resource or data source gives is written beside it, with `Diagnostic::error`.
//! - [`duration`]: durations as users write them (`"1h30m"`), for every duration argument.
//! - [`resource`]: the resource and data-source traits the plugin layer calls, and the generic
//!   planner (defaults, computed values, replacement).
//! - [`provider`]: the provider block: schema, configuration, credentials chain, endpoints.
//! - [`alicloud`]: the Alibaba Cloud RPC API client: pure signer (V2 and V3), transport, retries,
//!   error classification, credentials, typed PolarDB and PolarDB-X calls.
//! - [`resources`]: one file per resource, each in the same section order, and what resources and
//!   data sources share (arguments, the mapping of API answers, IDs, timeouts, the waiter).
//! - [`data_sources`]: one file per data source, named as its type, like the resources.
//! - [`ephemeral`]: the ephemeral-resource trait and the one ephemeral resource (download links).
//! - [`emulator`]: the local PolarDB / PolarDB-X backup API emulator (binary `alicloud-emulator`).
//! - [`logging`]: `tracing` to stderr in the JSON shape Terraform merges into its own log.
//! - [`redact`]: `debug_fields!`, the `Debug` that prints only the fields it names (secrets stay
//!   out of logs).
//! - [`rng`]: the one small deterministic generator (emulator faults, property tests).
//! - [`timefmt`]: the few date formats the APIs and logs need, without a date crate.

pub mod alicloud;
pub mod data_sources;
pub mod diagnostics;
pub mod duration;
pub mod emulator;
pub mod ephemeral;
pub mod logging;
pub mod plugin;
pub mod provider;
pub mod redact;
pub mod resource;
pub mod resources;
pub mod rng;
pub mod schema;
pub mod tfvalue;
pub mod timefmt;
