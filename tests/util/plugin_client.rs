//! Terraform's side of a plugin connection: the client identity Terraform makes, the pinned
//! server certificate, and an mTLS gRPC channel over the plugin's Unix socket. Shared by the
//! protocol tests and `scripts/bench/plugin_bench.rs` (which includes this file by path), so it
//! depends on nothing else in the test harness.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tonic::transport::{Channel, Endpoint};

/// go-plugin's magic cookie for Terraform providers.
pub const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A client identity as Terraform makes it: self-signed ECDSA P-521 / SHA-512, CA:TRUE.
pub struct Identity {
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    pub key_der: Vec<u8>,
}

/// A fresh identity, like the one Terraform passes in `PLUGIN_CLIENT_CERT`.
pub fn identity() -> Result<Identity, rcgen::Error> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
    ];
    let cert = params.self_signed(&key)?;
    Ok(Identity {
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_der: key.serialize_der(),
    })
}

/// Trusts exactly the server certificate announced in the handshake (as go-plugin does).
#[derive(Debug)]
pub struct PinnedServer {
    der: Vec<u8>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "unexpected server certificate".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
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
        rustls::crypto::verify_tls13_signature(
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

/// Terraform's TLS client config: trusts exactly `server_der`, presents `identity` (or none).
fn client_config(
    server_der: &[u8],
    identity: Option<&Identity>,
) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer {
            der: server_der.to_vec(),
            provider,
        }));
    let mut config = match identity {
        Some(id) => builder.with_client_auth_cert(
            vec![CertificateDer::from(id.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_der.clone())),
        )?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// A gRPC channel over mTLS on the plugin's Unix `socket`, trusting exactly `server_der` (the
/// certificate of the handshake line) and presenting `identity` (or no certificate).
pub async fn connect(
    socket: &Path,
    server_der: &[u8],
    identity: Option<&Identity>,
) -> Result<Channel, Error> {
    let connector =
        tokio_rustls::TlsConnector::from(Arc::new(client_config(server_der, identity)?));
    let socket = socket.to_path_buf();
    let channel = Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: http::Uri| {
            let connector = connector.clone();
            let socket = socket.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(&socket).await?;
                let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
                let tls = connector.connect(name, stream).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
            }
        }))
        .await?;
    Ok(channel)
}

/// The same over loopback TCP at `addr`, as Terraform connects to a plugin on Windows.
pub async fn connect_tcp(
    addr: &str,
    server_der: &[u8],
    identity: Option<&Identity>,
) -> Result<Channel, Error> {
    let connector =
        tokio_rustls::TlsConnector::from(Arc::new(client_config(server_der, identity)?));
    let addr = addr.to_string();
    let channel = Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: http::Uri| {
            let connector = connector.clone();
            let addr = addr.clone();
            async move {
                let stream = tokio::net::TcpStream::connect(&addr).await?;
                let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
                let tls = connector.connect(name, stream).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
            }
        }))
        .await?;
    Ok(channel)
}

/// Asserts that the plugin serving over loopback TCP at `addr` (server certificate
/// `server_der`) refuses a client with another certificate and one with none: the connection
/// fails, or the first RPC does.
pub async fn assert_tcp_refuses_other_clients(addr: &str, server_der: &[u8]) {
    use terraform_provider_alicloud::plugin::proto::tfplugin6 as pb;
    use terraform_provider_alicloud::plugin::proto::tfplugin6::provider_client::ProviderClient;
    for (label, other) in [
        ("another certificate", Some(identity().expect("identity"))),
        ("no certificate", None),
    ] {
        let refused = match connect_tcp(addr, server_der, other.as_ref()).await {
            Err(_) => true,
            Ok(ch) => ProviderClient::new(ch)
                .get_metadata(pb::get_metadata::Request {})
                .await
                .is_err(),
        };
        assert!(
            refused,
            "a client with {label} must be refused over TCP at {addr}"
        );
    }
}

/// Checks the plugin serving over loopback TCP at `addr` (server certificate `server_der`) as
/// Terraform does on Windows: with Terraform's certificate `id`, the schema holds both
/// resources, GetMetadata lists resources and StopProvider answers; another certificate, or
/// none, is refused. Returns Terraform's channel, for the controller's Shutdown.
pub async fn assert_tcp_serves_only_terraform(
    addr: &str,
    server_der: &[u8],
    id: &Identity,
) -> Channel {
    use terraform_provider_alicloud::plugin::proto::tfplugin6 as pb;
    use terraform_provider_alicloud::plugin::proto::tfplugin6::provider_client::ProviderClient;
    let channel = connect_tcp(addr, server_der, Some(id))
        .await
        .unwrap_or_else(|e| panic!("connect to {addr} with Terraform's certificate: {e}"));
    let mut client = ProviderClient::new(channel.clone()).max_decoding_message_size(256 << 20);
    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema")
        .into_inner();
    for name in ["alicloud_polardb_backup", "alicloud_polardbx_backup"] {
        assert!(
            schema.resource_schemas.contains_key(name),
            "the schema served at {addr} lacks {name}"
        );
    }
    let metadata = client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata")
        .into_inner();
    assert!(
        !metadata.resources.is_empty(),
        "GetMetadata at {addr} lists no resource"
    );
    client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("StopProvider");
    assert_tcp_refuses_other_clients(addr, server_der).await;
    channel
}
