//! The one integration-test binary: each module drives the built binaries.

// Shared harness: temp dirs, command runner, emulator and terraform wrappers. The only place
// helpers live: test modules never import each other.
mod util;

// The harness's own rules: no module imports another, every test says its scenario.
mod harness;

// The plugin protocol, played as Terraform would: handshake, mTLS, every RPC.
mod protocol;
// The real `terraform` CLI on validate and schema.
mod terraform_cli;
// The API client against the emulator: retries, tokens, errors, timeouts, credentials.
mod client;
// Wrong endpoints, through the real `terraform`: each fails in seconds, naming what to check.
mod endpoints;
// The emulator's request validation and behaviour, over HTTP.
mod emulator;
// The emulator's own safety: admin token and content type, connection limits, log, state file.
mod emulator_hardening;
// Both resources and data sources end to end through the real `terraform`.
mod resources;
// Timeouts that resume, interrupted waits, mistakes refused at plan: the real `terraform`.
mod lifecycle;
// PolarDB-X: concurrent creates, adoption, paging, regions and import, through the real `terraform`.
mod polardbx;
// Installing for real use and the registry release artifacts, through the real `terraform`.
mod distribution;
// Faults survived, bad input refused before any call, nothing lost or duplicated.
mod reliability;
// Credentials end to end: OIDC role credentials (RRSA) from a fake STS, through the real terraform.
mod credentials;
// Hostile bytes on every gRPC call that carries a value: refused, never a panic.
mod malformed_values;
// Secrets in no output, state, plan or diagnostic, at TF_LOG=trace.
mod secrets;
// A provider killed (SIGKILL) mid-apply, and the recovery by import.
mod sigkill;
// The soak under every fault at once, and its census (ignored: a measurement).
mod soak;
// The docs/ pages agree with the schema Terraform reads (names and markings).
mod docs;
// SIGTERM to Terraform's process group and Ctrl-C in a reattached provider, with the real CLI.
mod signals;
// The HTTP clients' trusted roots: Mozilla's compiled in, plus SSL_CERT_FILE.
mod trust_roots;
// Issue 13: plan-time checks, singular data sources, retained backups, download links.
mod features;
// The recipes of docs/guides/ applied as their examples.
mod guides;
