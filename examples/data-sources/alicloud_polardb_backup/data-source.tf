# The newest finished manual backup of a cluster, also among the backups a released cluster
# left behind.
data "alicloud_polardb_backup" "latest" {
  db_cluster_id    = "pc-bp1abc2def3gh4ijk"
  status           = "Success"
  backup_mode      = "Manual"
  most_recent      = true
  include_detached = true
}

output "latest_backup_id" {
  value = data.alicloud_polardb_backup.latest.backup_id
}
