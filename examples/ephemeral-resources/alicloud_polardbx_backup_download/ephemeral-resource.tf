# Download links of the newest backup set, for a pipeline that copies it elsewhere. Ephemeral:
# the links never reach the plan or the state (Terraform 1.10 or later).
data "alicloud_polardbx_backup" "latest" {
  db_instance_name = "pxc-hzabc123"
  status           = "Success"
  most_recent      = true
}

ephemeral "alicloud_polardbx_backup_download" "latest" {
  db_instance_name = data.alicloud_polardbx_backup.latest.db_instance_name
  backup_set_id    = data.alicloud_polardbx_backup.latest.backup_set_id

  lifecycle {
    postcondition {
      condition     = length(self.links) > 0
      error_message = "The backup set has no download links."
    }
  }
}
