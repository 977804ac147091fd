# A fast backup of a PolarDB-X 2.0 instance. The PolarDB-X API cannot delete
# backup sets: destroying this resource only removes it from the state, and the
# backup set stays until its retention period ends.
resource "alicloud_polardbx_backup" "example" {
  db_instance_name = "pxc-hzabcdefgh1234"

  timeouts {
    create = "2h"
  }
}
