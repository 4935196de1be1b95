#!/bin/bash
# Boot script (rendered by templatefile): installs the suite's prerequisites on Debian 12, clones
# the repository and runs the README's commands. Output: /var/log/embedding-bench.log.
set -euxo pipefail
exec > >(tee -a /var/log/embedding-bench.log) 2>&1

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends git ca-certificates curl xz-utils build-essential cmake \
  python3 python3-venv influxdb docker-compose libcpp-httplib-dev nlohmann-json3-dev

# Debian 12's Node (18) is older than the suite needs (Node >= 20). The load comes from the suite's
# embedded engine; a k6 you install yourself (Grafana's apt repository) is used when on PATH.
curl -fsSL https://nodejs.org/dist/v20.20.2/node-v20.20.2-linux-x64.tar.xz | tar -xJ -C /usr/local --strip-components=1
sudo -u admin sh -c 'curl --proto "=https" --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal'

install -d -o admin -g admin /opt/embedding-bench
sudo -u admin git clone "${repository_url}" /opt/embedding-bench
cd /opt/embedding-bench
sudo -u admin git checkout "${repository_ref}"
sudo -u admin -H bash -lc 'cd /opt/embedding-bench && npm install'
if [ -n "${bench_args}" ]; then
  sudo -u admin -H bash -lc 'cd /opt/embedding-bench && npm run bench:k6 -- ${bench_args}'
fi
