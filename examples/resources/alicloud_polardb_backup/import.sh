# A PolarDB backup is imported by "<db_cluster_id>:<backup_id>": the cluster's
# ID (pc-...) and the backup's ID as DescribeBackups lists it, joined by a colon.
# The alicloud_polardb_backups data source's `ids` are exactly these import IDs.
terraform import alicloud_polardb_backup.example pc-bp1234567890abcde:1234567890
