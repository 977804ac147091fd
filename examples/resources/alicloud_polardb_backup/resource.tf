# A manual backup of a PolarDB cluster. Terraform waits until the backup has
# finished; on destroy the backup is deleted (set deletion_policy = "Retain" to
# keep it in the cloud instead).
resource "alicloud_polardb_backup" "example" {
  db_cluster_id = "pc-bp1234567890abcde"
  comment       = "before the schema migration"

  timeouts {
    create = "2h"
    delete = "20m"
  }
}
