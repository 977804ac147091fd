# A module names its providers' source addresses itself: without this block the
# local name "alicloud" would mean hashicorp/alicloud inside the module, the
# registry's legacy address of the official Alibaba Cloud provider. The provider
# configuration is inherited from the calling module.
terraform {
  required_providers {
    alicloud = {
      source  = "polardb-tools/alicloud"
      version = "~> 0.1"
    }
  }
}
