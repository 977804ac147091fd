# Control for docs/performance.md: terraform_data with a state per instance shaped like a PolarDB
# backup (no plugin). Run in an empty directory holding this file:
#   terraform apply -auto-approve -var n=1000 && terraform destroy -auto-approve -var n=1000
variable "n" { type = number }
resource "terraform_data" "r" {
  count = var.n
  input = {
    backup_id = "11000017", backup_job_id = "11000017", backup_method = "Snapshot", backup_type = "FullBackup"
    backups_level = "Level-1", client_token = "2c76f8d8881ee15e7e3954f44692ca${count.index}", comment = "x"
    consistent_time = "1795610201", db_cluster_id = "pc-bench00000", deletion_policy = "Delete"
    end_time = "2026-11-25T12:36:41Z", expire_time = "2026-12-02T12:36:41Z", id = "pc-bench00000:${count.index}"
    size_bytes = 7276222464, start_time = "2026-11-25T12:36:41Z", status = "Success", wait = true
  }
}
