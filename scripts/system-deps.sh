#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (PostgreSQL server binaries,
# Chromium and its driver for the dashboard's browser tests),
# when they are missing. Idempotent; needs root (or sudo) only when it installs.
set -euo pipefail

need=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if ! [ -x /usr/bin/chromium ]; then
  need+=(chromium chromium-driver)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian packages: ${need[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
