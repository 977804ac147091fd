resource "alicloud_polardb_backup" "this" {
  db_cluster_id = var.db_cluster_id
  comment       = var.comment
}

resource "alicloud_polardbx_backup" "this" {
  db_instance_name = var.db_instance_name
}
