#!/usr/bin/env bash
# Installs what this project needs on a Debian or Ubuntu machine, and nothing twice:
#   scripts/setup.sh start   Chromium (slices run it) and the npm packages
#   scripts/setup.sh test    the above, plus Docker, debootstrap and nginx for the tests
# As root it installs system packages with apt-get; otherwise through sudo when it may, else it
# prints the one command to run. Safe to run again: it only acts on what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-start}"

say() { printf 'setup: %s\n' "$*" >&2; }

# Node 20.19 or newer (vite 8 and the pinned packages need it).
if ! command -v node >/dev/null 2>&1; then
  say "Node.js is missing: install Node 20 (for example: apt-get install -y nodejs from NodeSource, or nvm install 20)"; exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || {
  say "Node $(node -v) is too old: Node 20.19 or newer is needed (nvm install 20)"; exit 1; }

# acl: as root, the embedded PostgreSQL (run as the postgres user) is let through a private
# project directory such as /root by an ACL entry.
packages=(chromium acl)
case "$profile" in
  start) ;;
  test) packages+=(docker.io debootstrap nginx-light openssl ca-certificates procps iproute2) ;;
  *) say "unknown profile '$profile' (start or test)"; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo"; else
    say "missing system packages: ${missing[*]}: run  sudo apt-get update && sudo apt-get install -y ${missing[*]}"; exit 1
  fi
  say "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages: when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
