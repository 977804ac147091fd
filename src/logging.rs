//! `tracing` to stderr as JSON lines that go-plugin merges into Terraform's log.
