# The backup sets of a PolarDB-X instance (every page of DescribeBackupSetList).
data "alicloud_polardbx_backups" "example" {
  db_instance_name = "pxc-hzabcdefgh1234"
}

output "polardbx_backup_set_ids" {
  value = data.alicloud_polardbx_backups.example.backups[*].backup_set_id
}
