output "polardb_backup_id" {
  description = "ID of the PolarDB backup."
  value       = alicloud_polardb_backup.this.backup_id
}

output "polardbx_backup_set_id" {
  description = "ID of the PolarDB-X backup set."
  value       = alicloud_polardbx_backup.this.backup_set_id
}

output "resource_ids" {
  description = "Terraform IDs of both backups."
  value = {
    polardb  = alicloud_polardb_backup.this.id
    polardbx = alicloud_polardbx_backup.this.id
  }
}
