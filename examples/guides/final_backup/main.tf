terraform {
  required_providers {
    alicloud = { source = "polardb-tools/alicloud" }
  }
}

variable "db_cluster_id" {
  type = string
}

# Taken before the cluster is decommissioned and kept afterwards: destroy only forgets it.
resource "alicloud_polardb_backup" "final" {
  db_cluster_id   = var.db_cluster_id
  comment         = "final"
  deletion_policy = "Retain"
}

output "final_backup_id" {
  value = alicloud_polardb_backup.final.id
}
