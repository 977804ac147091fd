terraform {
  required_providers {
    alicloud = { source = "polardb-tools/alicloud" }
  }
}

variable "db_cluster_id" {
  type = string
}

# Bump this with every schema migration; the backup below is replaced first.
variable "schema_version" {
  type = string
}

resource "terraform_data" "schema_version" {
  input = var.schema_version
}

# A fresh manual backup before every migration: replaced (destroyed, then created) whenever
# schema_version changes, so the cluster keeps one such backup and stays within its quota.
resource "alicloud_polardb_backup" "before_migration" {
  db_cluster_id = var.db_cluster_id
  comment       = "before schema ${var.schema_version}"

  lifecycle {
    replace_triggered_by = [terraform_data.schema_version]
  }
}

# The migration itself runs only once the backup is done (e.g. a provisioner or a CI step
# that reads this output).
output "backup_before_migration" {
  value = alicloud_polardb_backup.before_migration.backup_id
}
