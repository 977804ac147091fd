# The newest finished backup set of a PolarDB-X instance begun since 2025-01-01.
data "alicloud_polardbx_backup" "latest" {
  db_instance_name = "pxc-hzabc123"
  status           = "Success"
  started_after    = "2025-01-01T00:00:00Z"
  most_recent      = true
}

output "latest_backup_set_id" {
  value = data.alicloud_polardbx_backup.latest.backup_set_id
}
