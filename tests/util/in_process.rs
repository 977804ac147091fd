//! The emulator and a configured provider in this process, for tests that call resources and
//! the API client directly (no terraform, no child process).

use super::emulator::{CLUSTER, INSTANCE};

/// An emulator served in this process on a free port (one Running [`INSTANCE`] and
/// [`CLUSTER`], instant backups, `faults`), and a provider configured for it.
pub async fn in_process(
    faults: terraform_provider_alicloud::emulator::FaultConfig,
) -> (
    terraform_provider_alicloud::emulator::Emulator,
    terraform_provider_alicloud::provider::ProviderData,
) {
    use terraform_provider_alicloud::emulator::{self, Config, Settings};
    use terraform_provider_alicloud::tfvalue::Value as V;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let emu = emulator::Emulator::new(Config {
        instances: vec![(INSTANCE.to_string(), "Running".to_string())],
        clusters: vec![(CLUSTER.to_string(), "Running".to_string())],
        settings: Settings {
            backup_duration_ms: 0,
            ..Settings::default()
        },
        faults,
        ..Config::default()
    })
    .expect("emulator");
    tokio::spawn(emulator::run(listener, emu.clone(), std::future::pending()));

    let schema = terraform_provider_alicloud::provider::schema();
    let mut config = V::null_object(&schema.value_type());
    config.set("region", V::string("cn-hangzhou"));
    config.set("access_key", V::string(emulator::DEFAULT_ACCESS_KEY_ID));
    config.set("secret_key", V::string(emulator::DEFAULT_ACCESS_KEY_SECRET));
    config.set("max_retry_timeout", V::string("10s"));
    config.set(
        "endpoints",
        V::object([
            ("polardb", V::string(&url)),
            ("polardbx", V::string(&url)),
            ("sts", V::Null),
        ]),
    );
    let (data, _) = terraform_provider_alicloud::provider::configure_with(&config, &|_| None, None)
        .expect("configure");
    (emu, data)
}
