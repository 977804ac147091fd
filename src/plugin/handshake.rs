//! The go-plugin handshake: the magic cookie, protocol-version negotiation, and the one line
//! on stdout that tells Terraform where to connect.

use std::io::Write;

use base64::Engine;

/// Terraform's magic cookie: proves the binary was started by Terraform, not by a person.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// The go-plugin core protocol version (first field of the handshake line).
const CORE_PROTOCOL_VERSION: u32 = 1;

/// The only Terraform plugin protocol this provider speaks.
pub const APP_PROTOCOL_VERSION: u32 = 6;

/// Why the handshake could not start. Each message tells a person what to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HandshakeError {
    #[error(
        "This binary is a plugin for Terraform. It is not meant to be run directly.\n\
         Use it from Terraform (e.g. with `provider_installation {{ dev_overrides {{ ... }} }}`),\n\
         or run it with --debug and set TF_REATTACH_PROVIDERS as it tells you."
    )]
    NotStartedByTerraform,
    #[error(
        "Terraform offered plugin protocol versions \"{offered}\", but this provider speaks only \
         protocol 6. Use Terraform 1.0 or newer."
    )]
    NoCommonVersion { offered: String },
}

/// Checks the magic cookie Terraform sets in the environment.
pub fn check_cookie(value: Option<&str>) -> Result<(), HandshakeError> {
    match value {
        Some(v) if v == MAGIC_COOKIE_VALUE => Ok(()),
        _ => Err(HandshakeError::NotStartedByTerraform),
    }
}

/// Picks protocol 6 from `PLUGIN_PROTOCOL_VERSIONS` (comma-separated). Unset means the host
/// did not negotiate, and go-plugin then assumes the plugin's own version.
pub fn negotiate(offered: Option<&str>) -> Result<u32, HandshakeError> {
    let Some(offered) = offered.filter(|s| !s.trim().is_empty()) else {
        return Ok(APP_PROTOCOL_VERSION);
    };
    let speaks_6 = offered
        .split(',')
        .any(|v| v.trim().parse::<u32>() == Ok(APP_PROTOCOL_VERSION));
    if speaks_6 {
        Ok(APP_PROTOCOL_VERSION)
    } else {
        Err(HandshakeError::NoCommonVersion {
            offered: offered.to_string(),
        })
    }
}

/// The handshake line, without newline: `1|6|NETWORK|ADDR|grpc|CERT`. CERT is the server
/// certificate's DER in standard base64 without padding (Go's `RawStdEncoding`); empty when
/// serving plaintext.
pub fn line(network: &str, addr: &str, server_cert_der: Option<&[u8]>) -> String {
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|{network}|{addr}|grpc|{cert}")
}

/// Prints the handshake line to stdout and flushes it: Terraform reads exactly this line.
pub fn announce(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the exact cookie passes; a missing or wrong one explains what the binary is.
    #[test]
    fn cookie() {
        assert_eq!(check_cookie(Some(MAGIC_COOKIE_VALUE)), Ok(()));
        let err = check_cookie(None).unwrap_err();
        assert!(err.to_string().contains("plugin for Terraform"));
        assert!(check_cookie(Some("nope")).is_err());
    }

    /// Version 6 is chosen when offered; unset means 6; without 6 the error names the offer.
    #[test]
    fn negotiation() {
        assert_eq!(negotiate(Some("5,6")), Ok(6));
        assert_eq!(negotiate(Some(" 6 ")), Ok(6));
        assert_eq!(negotiate(None), Ok(6));
        let err = negotiate(Some("4,5")).unwrap_err();
        assert!(err.to_string().contains("\"4,5\""), "{err}");
        assert!(err.to_string().contains("protocol 6"));
    }

    /// The line has six fields and the certificate is unpadded standard base64.
    #[test]
    fn line_format() {
        let l = line("unix", "/tmp/x.sock", Some(&[0xfb, 0xff]));
        assert_eq!(l, "1|6|unix|/tmp/x.sock|grpc|+/8");
        assert_eq!(
            line("tcp", "127.0.0.1:10000", None),
            "1|6|tcp|127.0.0.1:10000|grpc|"
        );
    }
}
