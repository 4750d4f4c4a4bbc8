#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Installs every Debian 12 package intelflow needs to build, test and run.
# Usage: bash config/install-deps.sh        (as root, or a user with sudo)
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache clang-format python3
  libtbb-dev libsimdjson-dev libyaml-cpp-dev libcurl4-openssl-dev libfmt-dev libspdlog-dev catch2
  libpcre2-dev libidn-dev libidn2-dev libpsl-dev libicu-dev libssl-dev nlohmann-json3-dev
  libsystemd-dev libhiredis-dev libmaxminddb-dev tao-pegtl-dev libjemalloc-dev
  redis-server
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# redis-server is started by the tests themselves on a private port; the
# distribution's default instance is not needed.
echo "install-deps: done"
