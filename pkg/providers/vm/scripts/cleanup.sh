#!/usr/bin/env bash
# cleanup.sh: last provisioning step (run as root). Leaves nothing of the build in the image.
# SSH host keys are removed, never regenerated here: each instance makes its own on first boot
# (cloud-init or the openssh service), so no two machines share a key. Reads
# CLEAN_SENSITIVE_DATA and REMOVE_SSH_KEYS ("true" or "false").
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

echo "sindri: cleaning package caches"
apt-get autoremove -y -q
apt-get clean
rm -rf /var/lib/apt/lists/*

if [ "${CLEAN_SENSITIVE_DATA:-true}" = "true" ]; then
  echo "sindri: removing logs, histories and temporary files"
  find /var/log -type f -exec truncate -s 0 {} +
  rm -f /root/.bash_history /home/*/.bash_history
  rm -rf /tmp/* /var/tmp/*
  if command -v cloud-init >/dev/null 2>&1; then
    cloud-init clean --logs
  fi
  truncate -s 0 /etc/machine-id
  rm -f /var/lib/dbus/machine-id
fi

if [ "${REMOVE_SSH_KEYS:-true}" = "true" ]; then
  echo "sindri: removing SSH host keys and authorized keys"
  rm -f /etc/ssh/ssh_host_*
  rm -f /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys
fi
sync
