# A PolarDB-X backup set is imported by "<region_id>:<db_instance_name>:<backup_set_id>":
# the instance's region, the instance name (pxc-...) and the backup set ID, joined by colons.
# Every entry of the alicloud_polardbx_backups data source's `ids` is such an ID. Import checks
# that the backup set exists in that region before it is taken into the state.
terraform import alicloud_polardbx_backup.example cn-hangzhou:pxc-hzabcdefgh1234:1234567
