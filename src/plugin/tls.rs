//! mTLS for the plugin connection: a fresh server certificate per launch, and a client
//! verifier that accepts only the certificate Terraform passed in `PLUGIN_CLIENT_CERT`.
//!
//! Why a custom verifier: Terraform's client certificate is self-signed ECDSA P-521/SHA-512 and
//! marked CA:TRUE, so webpki's path validation rejects it as a leaf (`CaUsedAsEndEntity`). The
//! certificate is pinned instead: exact DER match, plus a verified handshake signature proving
//! the client holds its key (aws-lc-rs can verify P-521, `ring` cannot).

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("PLUGIN_CLIENT_CERT does not hold a PEM certificate: {0}")]
    ClientCert(String),
    #[error("could not generate the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("could not build the TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The server side of the plugin's mTLS: the rustls config and the certificate to announce.
pub struct ServerTls {
    pub config: Arc<ServerConfig>,
    /// DER of the server certificate, announced base64-encoded in the handshake line.
    pub cert_der: Vec<u8>,
}

/// Builds the server TLS config that only admits the holder of `client_cert_pem`.
pub fn server_tls(client_cert_pem: &str) -> Result<ServerTls, TlsError> {
    let client_cert = CertificateDer::from_pem_slice(client_cert_pem.as_bytes())
        .map_err(|e| TlsError::ClientCert(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let (cert_der, key_der) = self_signed()?;
    let verifier = Arc::new(PinnedClientCert {
        expected: client_cert.into_owned(),
        provider: provider.clone(),
    });
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from(cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der)),
        )?;
    // grpc-go 1.67+ (Terraform 1.12+) insists on ALPN h2.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ServerTls {
        config: Arc::new(config),
        cert_der,
    })
}

/// A fresh P-256 certificate for `localhost` (Go requires the SAN; CN alone fails) with
/// serverAuth and clientAuth usages. Returns (certificate DER, PKCS#8 key DER).
fn self_signed() -> Result<(Vec<u8>, Vec<u8>), rcgen::Error> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params.distinguished_name.push(
        rcgen::DnType::OrganizationName,
        "terraform-provider-alicloud",
    );
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
    ];
    let cert = params.self_signed(&key)?;
    Ok((cert.der().to_vec(), key.serialize_der()))
}

/// Accepts exactly one client certificate, and checks the handshake signature against it.
#[derive(Debug)]
struct PinnedClientCert {
    expected: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for PinnedClientCert {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_pem() -> String {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem()
    }

    /// The verifier accepts the pinned certificate and refuses any other.
    #[test]
    fn pins_exact_certificate() {
        let pem = client_pem();
        let expected = CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
        let v = PinnedClientCert {
            expected: expected.clone(),
            provider: Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        };
        assert!(v
            .verify_client_cert(&expected, &[], UnixTime::now())
            .is_ok());
        let other_pem = client_pem();
        let other = CertificateDer::from_pem_slice(other_pem.as_bytes()).unwrap();
        assert!(v.verify_client_cert(&other, &[], UnixTime::now()).is_err());
        assert!(v.client_auth_mandatory());
        assert!(v
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }

    /// A config builds from a P-521 CA certificate, advertises h2, and yields a server cert.
    #[test]
    fn builds_config() {
        let tls = server_tls(&client_pem()).unwrap();
        assert_eq!(tls.config.alpn_protocols, vec![b"h2".to_vec()]);
        assert!(tls.cert_der.len() > 100);
    }

    /// Garbage in PLUGIN_CLIENT_CERT is a typed error, not a panic.
    #[test]
    fn bad_pem() {
        assert!(matches!(
            server_tls("not a cert"),
            Err(TlsError::ClientCert(_))
        ));
    }
}
