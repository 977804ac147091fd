terraform {
  required_providers {
    alicloud = { source = "polardb-tools/alicloud" }
  }
}

variable "db_cluster_id" {
  type = string
}

# Days since 1970-01-01 (UTC), e.g. -var "day=$(($(date +%s) / 86400))" from a daily job.
variable "day" {
  type = number
}

# Three slots, one per day modulo 3: each day exactly one slot's day changes, so one backup is
# replaced (destroyed first, then created) and the cluster never holds more than three.
resource "alicloud_polardb_backup" "daily" {
  for_each      = toset(["0", "1", "2"])
  db_cluster_id = var.db_cluster_id
  comment       = "daily ${var.day - (var.day - tonumber(each.key)) % 3}"
}

output "daily_backups" {
  value = { for slot, b in alicloud_polardb_backup.daily : b.comment => b.backup_id }
}
