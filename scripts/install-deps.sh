#!/usr/bin/env bash
# Installs the Debian packages the build needs, and nothing when they are
# already present. Boost comes as Debian's 1.81 packages: the default
# libboost-all-dev is 1.74, which has no Boost.JSON.
set -euo pipefail

packages=(
  build-essential
  cmake
  libboost1.81-dev
  libboost-json1.81-dev
  libboost-program-options1.81-dev
  libboost-test1.81-dev
  libfmt-dev
  libjemalloc-dev
  libspdlog-dev
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null \
      | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "Installing missing packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
