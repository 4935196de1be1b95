data "aws_ami" "debian12" {
  most_recent = true
  owners      = ["136693071363"] # Debian's official AWS account
  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }
  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
}

resource "aws_key_pair" "bench" {
  key_name_prefix = "embedding-bench-"
  public_key      = var.ssh_public_key
}

resource "aws_security_group" "bench" {
  name_prefix = "embedding-bench-"
  description = "SSH only; dashboards are reached through an SSH tunnel"

  ingress {
    description = "SSH"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = var.allowed_ssh_cidrs
  }

  egress {
    description = "package registries and the repository"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_instance" "bench" {
  ami                    = data.aws_ami.debian12.id
  instance_type          = var.instance_type
  key_name               = aws_key_pair.bench.key_name
  vpc_security_group_ids = [aws_security_group.bench.id]

  root_block_device {
    volume_size = var.root_volume_gb
    volume_type = "gp3"
  }

  metadata_options {
    http_tokens = "required"
  }

  user_data = templatefile("${path.module}/user_data.sh", {
    repository_url = var.repository_url
    repository_ref = var.repository_ref
    bench_args     = var.bench_args
  })

  tags = {
    Name = "embedding-bench"
  }
}
