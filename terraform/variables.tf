variable "region" {
  description = "AWS region to run the benchmark in."
  type        = string
  default     = "us-east-1"
}

variable "owner" {
  description = "Value of the Owner tag on every resource, so a forgotten instance can be traced."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type. The seeds used c7i.8xlarge (32 vCPU: 16 for the server, 14 for k6, 2 for the OS)."
  type        = string
  default     = "c7i.8xlarge"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like an EC2 type, e.g. c7i.8xlarge."
  }
}

variable "root_volume_gb" {
  description = "Root volume size in GiB (torch venvs, cargo builds and models need room)."
  type        = number
  default     = 100
  validation {
    condition     = var.root_volume_gb >= 40 && var.root_volume_gb <= 1000
    error_message = "root_volume_gb must be between 40 and 1000."
  }
}

variable "ssh_public_key" {
  description = "OpenSSH public key allowed to log in as the default user."
  type        = string
  validation {
    condition     = can(regex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256) ", var.ssh_public_key))
    error_message = "ssh_public_key must be an OpenSSH public key line."
  }
}

variable "allowed_ssh_cidrs" {
  description = "CIDR blocks allowed to reach port 22. Grafana and InfluxDB are not exposed: use an SSH tunnel."
  type        = list(string)
  validation {
    condition     = length(var.allowed_ssh_cidrs) > 0 && alltrue([for c in var.allowed_ssh_cidrs : can(cidrhost(c, 0))])
    error_message = "allowed_ssh_cidrs must be a non-empty list of CIDR blocks."
  }
}

variable "repository_url" {
  description = "Git URL of the embedding-bench checkout to clone on the instance."
  type        = string
}

variable "repository_ref" {
  description = "Branch, tag or commit to check out."
  type        = string
  default     = "main"
}

variable "bench_args" {
  description = "Arguments for `npm run bench:k6 --` run once at boot; empty means install only."
  type        = string
  default     = "--profile standard --csv"
}
