#!/usr/bin/env bash
# security-hardening.sh: a CIS-inspired baseline (run as root when build.security.cis_hardening
# or openscap_scan is set). Reads CIS_HARDENING and OPENSCAP_SCAN ("true" or "false").
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if [ "${CIS_HARDENING:-false}" = "true" ]; then
  echo "sindri: hardening sshd"
  install -d -m 0755 /etc/ssh/sshd_config.d
  cat >/etc/ssh/sshd_config.d/60-sindri-hardening.conf <<'CONF'
PermitRootLogin no
PasswordAuthentication no
X11Forwarding no
MaxAuthTries 4
ClientAliveInterval 300
ClientAliveCountMax 3
CONF

  echo "sindri: hardening kernel parameters"
  cat >/etc/sysctl.d/60-sindri-hardening.conf <<'CONF'
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.all.log_martians = 1
net.ipv4.tcp_syncookies = 1
kernel.randomize_va_space = 2
fs.suid_dumpable = 0
CONF

  echo "sindri: enabling automatic security updates and auditing"
  apt-get install -y -q --no-install-recommends unattended-upgrades auditd
  systemctl enable auditd
fi

if [ "${OPENSCAP_SCAN:-false}" = "true" ]; then
  echo "sindri: running an OpenSCAP scan"
  apt-get install -y -q --no-install-recommends libopenscap8 || apt-get install -y -q --no-install-recommends openscap-scanner
  content=$(ls /usr/share/xml/scap/ssg/content/ssg-ubuntu*-ds.xml 2>/dev/null | head -n1 || true)
  if [ -n "$content" ]; then
    oscap xccdf eval --profile xccdf_org.ssgproject.content_profile_cis_level1_server \
      --report /var/log/sindri-openscap.html "$content" || echo "sindri: the scan found findings; see /var/log/sindri-openscap.html"
  else
    echo "sindri: no SCAP content for this release; scan skipped"
  fi
fi
