#!/usr/bin/env bash
# Installs, from Debian's archive, the loaders under test (qemu-system-x86) and the programs the tests use as oracles and fixture
# makers: binutils (readelf, the ELF cross-check), gcc (the layout cross-check), the
# compressor CLIs (fixtures for every bzImage payload format), and apt/dpkg tools for
# fetching real kernels and Debian 13's Xen (debian-archive-keyring signs that release too),
# procps (ps, for the test that stops a run), util-linux (setpriv: each VMM gets a
# parent-death signal, so it dies with a suite killed by SIGKILL; Essential on Debian,
# listed for minimal images). Needs root (or sudo). Safe to run again.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
packages=(binutils gcc libc6-dev xz-utils gzip bzip2 zstd lz4 lzop dpkg apt debian-archive-keyring procps util-linux qemu-system-x86 chromium grub-common grub-xen-bin)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "install-deps: all of ${packages[*]} present"
