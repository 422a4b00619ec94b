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
# The linux-loader adapter builds its harness with rustup's cargo (not a Debian package:
# bookworm's rustc is 1.63, thiserror 2.0 in the closure asks for 1.77), found in ~/.cargo/bin even off PATH.
cargo="${PVH_CARGO:-${CARGO_HOME:-$HOME/.cargo}/bin/cargo}"
if [ -x "$cargo" ] || command -v cargo >/dev/null 2>&1; then
  echo "install-deps: cargo for the linux-loader harness: $([ -x "$cargo" ] && echo "$cargo" || command -v cargo)"
else
  echo "install-deps: no cargo ($cargo, PATH): the linux-loader adapter's tests fail in CI; install Rust with rustup" >&2
fi
