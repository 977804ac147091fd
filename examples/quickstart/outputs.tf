output "polardb_backup_id" {
  description = "ID of the PolarDB backup (what DescribeBackups lists)."
  value       = module.backups.polardb_backup_id
}

output "polardbx_backup_set_id" {
  description = "ID of the PolarDB-X backup set (what DescribeBackupSetList lists)."
  value       = module.backups.polardbx_backup_set_id
}

output "resource_ids" {
  description = "Terraform IDs of both backups, the form terraform import takes."
  value       = module.backups.resource_ids
}
