//! `terraform-provider-alicloud`: started by Terraform (see `plugin`).

fn main() {}
