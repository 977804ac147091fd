# Quickstart: one backup of a PolarDB cluster and one of a PolarDB-X instance,
# through a small module. Against the real cloud, set credentials in the
# environment and run:
#   terraform init
#   terraform apply -var db_cluster_id=pc-... -var db_instance_name=pxc-...
# scripts/demo.sh runs the same configuration against the local emulator.

terraform {
  required_version = ">= 1.0"

  required_providers {
    alicloud = {
      source  = "polardb-tools/alicloud"
      version = "~> 0.1"
    }
  }
}

provider "alicloud" {
  region = var.region
}

module "backups" {
  source = "./modules/backups"

  db_cluster_id    = var.db_cluster_id
  db_instance_name = var.db_instance_name
}
