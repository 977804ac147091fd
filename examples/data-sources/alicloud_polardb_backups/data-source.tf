# The successful backups of a PolarDB cluster (every page of DescribeBackups).
data "alicloud_polardb_backups" "example" {
  db_cluster_id = "pc-bp1234567890abcde"
  status        = "Success"
}

output "polardb_backup_ids" {
  value = data.alicloud_polardb_backups.example.backups[*].backup_id
}
