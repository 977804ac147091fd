terraform {
  required_providers {
    alicloud = {
      source  = "polardb-tools/alicloud"
      version = "~> 0.1"
    }
  }
}

# Credentials come from the environment (ALIBABA_CLOUD_ACCESS_KEY_ID and
# ALIBABA_CLOUD_ACCESS_KEY_SECRET), an Alibaba Cloud CLI profile, or an ECS RAM
# role: keep them out of the configuration.
provider "alicloud" {
  region = "cn-hangzhou"
}
