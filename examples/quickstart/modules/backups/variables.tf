variable "db_cluster_id" {
  description = "ID of the PolarDB cluster to back up (pc-...)."
  type        = string
}

variable "db_instance_name" {
  description = "Name of the PolarDB-X 2.0 instance to back up (pxc-...)."
  type        = string
}

variable "comment" {
  description = "Comment stored with the PolarDB backup."
  type        = string
  default     = "managed by terraform"
}
