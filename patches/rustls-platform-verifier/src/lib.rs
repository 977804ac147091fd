//! A server-certificate verifier with the API reqwest 0.13 calls on `rustls-platform-verifier`,
//! backed by webpki and a fixed root set instead of the operating system's trust store:
//!
//! - Mozilla's root program, compiled in (`webpki-roots`);
//! - plus every certificate in the PEM file named by `SSL_CERT_FILE`, read when an HTTP client
//!   is built (a corporate CA, a TLS-inspecting proxy's CA);
//! - plus the extra roots reqwest passes (`ClientBuilder::add_root_certificate`).
//!
//! A set but unreadable `SSL_CERT_FILE`, or one without a certificate, is an error naming the
//! variable and the path, never a silent fallback.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// The environment variable naming a PEM file of extra trusted roots.
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// Verifies server certificates with webpki against Mozilla's roots, `SSL_CERT_FILE` and any
/// extra roots.
#[derive(Debug)]
pub struct Verifier {
    inner: Arc<WebPkiServerVerifier>,
}

impl Verifier {
    /// Mozilla's roots plus `SSL_CERT_FILE`.
    pub fn new(crypto_provider: Arc<CryptoProvider>) -> Result<Self, Error> {
        Self::new_with_extra_roots([], crypto_provider)
    }

    /// Mozilla's roots plus `SSL_CERT_FILE` plus `roots`.
    pub fn new_with_extra_roots(
        roots: impl IntoIterator<Item = CertificateDer<'static>>,
        crypto_provider: Arc<CryptoProvider>,
    ) -> Result<Self, Error> {
        let file = std::env::var_os(SSL_CERT_FILE).filter(|v| !v.is_empty());
        let from_file = match file {
            Some(path) => certificates_in(std::path::Path::new(&path))?,
            None => Vec::new(),
        };
        Self::with_roots(roots.into_iter().chain(from_file), crypto_provider)
    }

    fn with_roots(
        extra: impl IntoIterator<Item = CertificateDer<'static>>,
        crypto_provider: Arc<CryptoProvider>,
    ) -> Result<Self, Error> {
        let mut store = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for cert in extra {
            store.add(cert)?;
        }
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(store), crypto_provider)
            .build()
            .map_err(|e| Error::General(format!("cannot build the certificate verifier: {e}")))?;
        Ok(Verifier { inner })
    }
}

/// Every certificate in the PEM file at `path`, or an error that names `SSL_CERT_FILE`.
fn certificates_in(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let shown = path.display();
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            Error::General(format!(
                "{SSL_CERT_FILE}={shown} cannot be read as PEM certificates ({e}). Point it \
                 at a readable PEM file of CA certificates, or unset it."
            ))
        })?;
    if certs.is_empty() {
        return Err(Error::General(format!(
            "{SSL_CERT_FILE}={shown} holds no PEM certificate. Point it at a PEM file of CA \
             certificates, or unset it."
        )));
    }
    Ok(certs)
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::aws_lc_rs::default_provider())
    }

    /// Mozilla's roots are there without any file.
    #[test]
    fn builds_with_compiled_in_roots() {
        assert!(webpki_roots::TLS_SERVER_ROOTS.len() > 100);
        assert!(Verifier::with_roots([], provider()).is_ok());
    }

    /// A missing file and a file without certificates are errors naming SSL_CERT_FILE.
    #[test]
    fn bad_ssl_cert_file_is_an_error() {
        let missing = certificates_in(std::path::Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(missing
            .to_string()
            .contains("SSL_CERT_FILE=/nonexistent/ca.pem"));
        let dir = std::env::temp_dir().join(format!("verifier-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let e = certificates_in(&empty).unwrap_err().to_string();
        assert!(e.contains("holds no PEM certificate"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
