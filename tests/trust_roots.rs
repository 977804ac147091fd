//! Which servers the provider's HTTP clients trust (DESIGN.md, "Trusted roots"): Mozilla's roots
//! compiled in, plus the PEM file named by SSL_CERT_FILE, and not the operating system's store.
//! A loopback HTTPS server with a certificate from a private CA stands in for a corporate proxy.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A private CA and a `localhost` server certificate it signed: (CA PEM, leaf DER, key DER).
fn private_ca_and_leaf() -> (String, Vec<u8>, Vec<u8>) {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Test Corporate CA");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let ca_pem = ca_params.self_signed(&ca_key).expect("CA cert").pem();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let leaf_params =
        rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("leaf params");
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).expect("leaf");
    (ca_pem, leaf.der().to_vec(), leaf_key.serialize_der())
}

/// Serves `HTTP/1.1 200` over TLS with `leaf` on a loopback port; returns the port.
async fn https_server(leaf: Vec<u8>, key: Vec<u8>) -> u16 {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(leaf)],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
    )
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut buf = [0u8; 1024];
                    let _ = tls.read(&mut buf).await;
                    let _ = tls
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                        )
                        .await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    port
}

/// A server whose CA is not Mozilla's is refused by default; naming the CA's PEM file in
/// SSL_CERT_FILE makes a newly built client trust it. (An unreadable SSL_CERT_FILE is an error
/// naming the variable: patches/rustls-platform-verifier's own tests, as changing the variable
/// to a bad file here would fail other tests building clients at the same moment.)
#[tokio::test]
async fn ssl_cert_file_adds_a_corporate_ca() {
    let (ca_pem, leaf, key) = private_ca_and_leaf();
    let port = https_server(leaf, key).await;
    let url = format!("https://localhost:{port}/");
    // Whatever SSL_CERT_FILE the machine sets (a system bundle) cannot hold this fresh CA.

    let default = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client with compiled-in roots");
    let refused = default.get(&url).send().await;
    assert!(
        refused.is_err(),
        "a private CA must not be trusted by default"
    );

    // Left in place (not a TempDir): other tests in this process may build clients while the
    // variable is set, and must find the file. They then trust Mozilla's roots and this CA.
    let path = std::env::temp_dir().join(format!("tpa-test-ca-{}.pem", std::process::id()));
    std::fs::write(&path, &ca_pem).expect("write CA");
    std::env::set_var("SSL_CERT_FILE", &path);
    let with_ca = reqwest::Client::builder().no_proxy().build();
    let answer = with_ca
        .expect("client with SSL_CERT_FILE")
        .get(&url)
        .send()
        .await
        .expect("the CA from SSL_CERT_FILE is trusted");
    assert_eq!(answer.status(), 200);
}
