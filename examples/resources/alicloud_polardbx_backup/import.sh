# A PolarDB-X backup set is imported by "<region_id>:<db_instance_name>:<backup_set_id>":
# the instance's region, the instance name (pxc-...) and the backup set ID as
# DescribeBackupSetList lists it, joined by colons.
terraform import alicloud_polardbx_backup.example cn-hangzhou:pxc-hzabcdefgh1234:1234567
