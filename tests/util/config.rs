//! Terraform configurations for a test emulator: the provider block, a working directory with
//! it, and the resource configurations several modules apply.

use super::emulator::Emulator;
use super::state::resources;
use super::stderr;
use super::terraform::Terraform;

/// The provider block pointing both products at `emu`.
pub fn provider_block(emu: &Emulator) -> String {
    provider_block_with(emu, emu.secret(), "20s")
}

/// The provider block with a given secret and retry budget.
pub fn provider_block_with(emu: &Emulator, secret: &str, max_retry_timeout: &str) -> String {
    format!(
        r#"
provider "alicloud" {{
  region     = "cn-hangzhou"
  access_key = "{ak}"
  secret_key = "{sk}"
  max_retry_timeout = "{budget}"
  endpoints {{
    polardb  = "{url}"
    polardbx = "{urlx}"
  }}
}}
"#,
        ak = emu.access_key(),
        sk = secret,
        budget = max_retry_timeout,
        url = emu.polardb_endpoint(),
        urlx = emu.polardbx_endpoint()
    )
}

/// A terraform directory with `provider.tf` for `emu` and `main.tf` = `config`.
pub fn terraform(name: &str, emu: &Emulator, config: &str) -> Terraform {
    let tf = Terraform::new(name);
    tf.write("provider.tf", &provider_block(emu));
    tf.write("main.tf", config);
    tf
}

/// A provider block for `emu` with its region and endpoints and no credentials; `extra` holds
/// further provider arguments (e.g. credentials written as a test wants them), indented.
pub fn provider_block_args(emu: &Emulator, extra: &str) -> String {
    format!(
        "provider \"alicloud\" {{\n  region = \"cn-hangzhou\"\n{extra}\n{}}}\n",
        emu.endpoints_hcl()
    )
}

/// A terraform directory with [`provider_block_args`] as `provider.tf` and `main.tf` = `config`.
pub fn terraform_with(name: &str, emu: &Emulator, extra: &str, config: &str) -> Terraform {
    let tf = Terraform::new(name);
    tf.write("provider.tf", &provider_block_args(emu, extra));
    tf.write("main.tf", config);
    tf
}

/// The emulator's credentials as provider arguments, with a retry budget.
pub fn credentials_args(emu: &Emulator, max_retry_timeout: &str) -> String {
    format!(
        "  access_key = \"{}\"\n  secret_key = \"{}\"\n  max_retry_timeout = \"{max_retry_timeout}\"",
        emu.access_key(),
        emu.secret()
    )
}

/// One backup of each product, on the default emulator's cluster and instance.
pub const ONE_OF_EACH: &str = r#"
resource "alicloud_polardb_backup" "b" {
  db_cluster_id = "pc-emulator0001"
}

resource "alicloud_polardbx_backup" "x" {
  db_instance_name = "pxc-emulator0001"
}
"#;

/// One PolarDB backup of the default emulator's cluster, with a comment, and its ID as output.
pub const POLARDB_ONE: &str = r#"
resource "alicloud_polardb_backup" "b" {
  db_cluster_id = "pc-emulator0001"
  comment       = "nightly"
}

output "id" {
  value = alicloud_polardb_backup.b.id
}
"#;

/// Runs a failing apply of one PolarDB backup of `cluster` with `provider` and returns stderr.
pub fn failed_apply(name: &str, provider: &str, cluster: &str) -> String {
    let tf = Terraform::new(name).env("HOME", "/nonexistent-home-for-tests");
    tf.write("provider.tf", provider);
    tf.write(
        "main.tf",
        &format!(
            "resource \"alicloud_polardb_backup\" \"b\" {{\n  db_cluster_id = \"{cluster}\"\n}}\n"
        ),
    );
    let out = tf.fail(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(
        resources(&tf).is_empty(),
        "nothing was created, nothing may be in state"
    );
    stderr(&out)
}
