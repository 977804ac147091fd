//! The real `terraform` CLI drives the built provider (dev_overrides, no init): `validate` and
//! `providers schema -json` on a configuration with the provider block and both resources.

use std::time::Instant;

use crate::util::terraform::Terraform;

const CONFIG: &str = r#"
provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_polardb_backup" "nightly" {
  db_cluster_id = "pc-bp1example0001"
}

resource "alicloud_polardbx_backup" "nightly" {
  db_instance_name = "pxc-bp1example0001"
}
"#;

/// `terraform validate` accepts a configuration using both resources and the provider block.
#[test]
fn validate_both_resources() {
    let tf = Terraform::new("tf-validate");
    tf.write("main.tf", CONFIG);
    let started = Instant::now();
    let out = tf.validate();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("The configuration is valid"), "{stdout}");
    eprintln!("terraform validate took {elapsed:?}");
}

/// `terraform validate` reports a missing required argument against our schema.
#[test]
fn validate_reports_missing_argument() {
    let tf = Terraform::new("tf-validate-missing");
    tf.write("main.tf", "resource \"alicloud_polardb_backup\" \"b\" {}\n");
    let out = tf.fail(&["validate", "-no-color"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("db_cluster_id"), "{stderr}");
}

/// The schema Terraform reads from the provider lists both resources with their arguments.
#[test]
fn providers_schema_lists_resources() {
    let tf = Terraform::new("tf-schema");
    tf.write("main.tf", CONFIG);
    let schema = tf.providers_schema_json();
    let provider = &schema["provider_schemas"][crate::util::terraform::PROVIDER_ADDRESS];
    assert!(provider.is_object(), "provider missing: {schema}");
    let polardb = &provider["resource_schemas"]["alicloud_polardb_backup"]["block"]["attributes"];
    assert_eq!(polardb["db_cluster_id"]["type"], "string", "{polardb}");
    assert_eq!(polardb["db_cluster_id"]["required"], true);
    let polardbx = &provider["resource_schemas"]["alicloud_polardbx_backup"]["block"]["attributes"];
    assert_eq!(polardbx["db_instance_name"]["type"], "string", "{polardbx}");
    assert_eq!(polardbx["db_instance_name"]["required"], true);
    assert!(provider["provider"]["block"].is_object());
}
