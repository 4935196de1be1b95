output "instance_id" {
  description = "EC2 instance id (stop it between runs: aws ec2 stop-instances --instance-ids …)."
  value       = aws_instance.bench.id
}

output "instance_public_ip" {
  description = "Public IP for SSH."
  value       = aws_instance.bench.public_ip
}

output "ssh_command" {
  description = "SSH with tunnels to Grafana (3000) and InfluxDB (8086) when docker-compose runs them."
  value       = "ssh -L 3000:127.0.0.1:3000 -L 8086:127.0.0.1:8086 admin@${aws_instance.bench.public_ip}"
}

output "bench_log" {
  description = "Where the boot-time benchmark writes its output on the instance."
  value       = "/var/log/embedding-bench.log"
}
