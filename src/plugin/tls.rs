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
use subtle::ConstantTimeEq;

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

/// The server certificate is valid from this long before launch (clock skew between Terraform
/// and the provider, as go-plugin allows)...
const NOT_BEFORE_SLACK: time::Duration = time::Duration::seconds(30);
/// ...until this long after (go-plugin's 262980 hours, 30 years). The certificate and its key
/// live only in this process's memory and Terraform pins it per launch, so a short life would
/// add failures (a long `apply`) and no safety; the point is a sane, recent window instead of
/// rcgen's default of 1975 to 4096.
const VALIDITY: time::Duration = time::Duration::hours(262_980);

/// A fresh P-256 certificate for `localhost` (Go requires the SAN; CN alone fails) with
/// serverAuth and clientAuth usages, a random 128-bit serial and go-plugin's validity window.
/// Returns (certificate DER, PKCS#8 key DER).
fn self_signed() -> Result<(Vec<u8>, Vec<u8>), rcgen::Error> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])?;
    // Whole seconds: X.509 times have no fractions.
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    params.not_before = now - NOT_BEFORE_SLACK;
    params.not_after = now + VALIDITY;
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(|_| rcgen::Error::RingUnspecified)?;
    serial[0] &= 0x7f; // positive, as DER INTEGER serials must be
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
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
        if bool::from(end_entity.as_ref().ct_eq(self.expected.as_ref())) {
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

    /// The first two X.509 times in `der` (notBefore, notAfter) as Unix seconds. UTCTime (tag
    /// 0x17, YYMMDDHHMMSSZ) and GeneralizedTime (0x18, YYYYMMDDHHMMSSZ); the validity is the
    /// first place either tag appears in a certificate made here.
    fn validity(der: &[u8]) -> (i64, i64) {
        let mut times = Vec::new();
        let mut i = 0;
        while i + 2 < der.len() && times.len() < 2 {
            let (tag, len) = (der[i], der[i + 1] as usize);
            let digits = match (tag, len) {
                (0x17, 13) | (0x18, 15) => &der[i + 2..i + 2 + len - 1],
                _ => {
                    i += 1;
                    continue;
                }
            };
            let s = std::str::from_utf8(digits).unwrap();
            let (year, rest) = if tag == 0x17 {
                let yy: i32 = s[..2].parse().unwrap();
                (if yy < 50 { 2000 + yy } else { 1900 + yy }, &s[2..])
            } else {
                (s[..4].parse().unwrap(), &s[4..])
            };
            let n = |r: std::ops::Range<usize>| rest[r].parse::<u8>().unwrap();
            let date = time::Date::from_calendar_date(
                year,
                time::Month::try_from(n(0..2)).unwrap(),
                n(2..4),
            )
            .unwrap();
            let t = date
                .with_hms(n(4..6), n(6..8), n(8..10))
                .unwrap()
                .assume_utc();
            times.push(t.unix_timestamp());
            i += 2 + len;
        }
        (times[0], times[1])
    }

    /// The server certificate is valid from 30 s before now to 262980 hours after, as
    /// go-plugin's, and two launches get different serials.
    #[test]
    fn validity_like_go_plugin() {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let (der, _) = self_signed().unwrap();
        let (not_before, not_after) = validity(&der);
        assert!(
            (now - 40..=now - 20).contains(&not_before),
            "notBefore {not_before}, now {now}"
        );
        let thirty_years = 262_980 * 3600;
        assert!(
            (now + thirty_years - 10..=now + thirty_years + 10).contains(&not_after),
            "notAfter {not_after}, now {now}"
        );
        let (other, _) = self_signed().unwrap();
        assert_ne!(der, other);
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
