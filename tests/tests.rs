//! The one integration-test binary: each module drives the built binaries.

// Shared harness: temp dirs, command runner, emulator and terraform wrappers.
mod util;

// The plugin protocol, played as Terraform would: handshake, mTLS, every RPC.
mod protocol;
// The real `terraform` CLI on validate and schema.
mod terraform_cli;
// The API client against the emulator: retries, tokens, errors, timeouts, credentials.
mod client;
// The emulator's request validation and behaviour, over HTTP.
mod emulator;
// Both resources and data sources end to end through the real `terraform`.
mod resources;
// Installing for real use and the registry release artifacts, through the real `terraform`.
mod distribution;
// Faults survived, bad input refused before any call, nothing lost or duplicated.
mod reliability;
// Hostile input on every gRPC call, secrets in every output, recovery after a killed provider.
mod hardening;
// Issue 13: plan-time checks, singular data sources, retained backups, download links.
mod features;
// The recipes of docs/guides/ applied as their examples.
mod guides;
