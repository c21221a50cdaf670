# shellcheck shell=bash
# Shared by scripts/install, upgrade, backup and restore: logging, the dry-run switch, paths
# (under an optional prefix), env files, services with or without systemd as PID 1.

: "${DRY_RUN:=0}"
: "${PREFIX:=}"
PROG=${PROG:-$(basename "$0")}

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
step() { printf '\n==> %s\n' "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

# Print a command, then run it unless --dry-run. Secrets are never on a command line here: they
# travel through files and stdin.
run() {
  printf '+ %s\n' "$*" >&2
  [ "$DRY_RUN" = 1 ] && return 0
  "$@"
}

# The same for a shell snippet (pipes, redirections).
run_sh() {
  printf '+ %s\n' "$1" >&2
  [ "$DRY_RUN" = 1 ] && return 0
  bash -euo pipefail -c "$1"
}

# Paths: everything the scripts write lives under $PREFIX (empty in production).
set_paths() {
  ETC_WANK=$PREFIX/etc/wank
  OPT=$PREFIX/opt/queunir
  WWW=$PREFIX/var/www/app
  ACME_ROOT=$PREFIX/var/www/letsencrypt
  VAR_LIB=$PREFIX/var/lib/wank
  NGINX_ETC=$PREFIX/etc/nginx
  UNIT_DIR=$PREFIX/etc/systemd/system
  BACKUP_DIR_DEFAULT=$PREFIX/var/backups/queunir
}
set_paths

# systemd runs this system: PID 1 is systemd (read from /proc: a minimal system may lack ps), and
# this is not a chroot inside it (PID 1's root is ours), where systemctl would act on the host.
has_systemd() {
  [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] || return 1
  local pid1_root
  pid1_root=$(stat -c %d:%i /proc/1/root/. 2>/dev/null) || return 0   # unreadable (not root): trust the above
  [ "$pid1_root" = "$(stat -c %d:%i /)" ]
}

# KEY's value in an env file (the last one wins, as with systemd), or nothing.
env_get() {
  local file=$1 key=$2
  [ -f "$file" ] || return 0
  sed -n "s/^${key}=//p" "$file" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}

# Set KEY=VALUE in an env file: replace the line when KEY is there, append otherwise.
env_set() {
  local file=$1 key=$2 value=$3
  if grep -q "^${key}=" "$file" 2>/dev/null; then
    local tmp
    tmp=$(mktemp "$file.XXXXXX")
    awk -v k="$key" -v v="$value" 'BEGIN { FS = OFS = "=" } $1 == k { print k "=" v; next } { print }' "$file" >"$tmp"
    chmod --reference="$file" "$tmp" 2>/dev/null || true
    mv "$tmp" "$file"
  else
    printf '%s=%s\n' "$key" "$value" >>"$file"
  fi
}

# Set KEY only when the file does not have it yet (secrets are generated once and kept).
env_default() {
  local file=$1 key=$2 value=$3
  grep -q "^${key}=" "$file" 2>/dev/null || printf '%s=%s\n' "$key" "$value" >>"$file"
}

new_secret() { openssl rand -base64 "${1:-36}" | tr -d '\n=/+' | head -c "${2:-48}"; }

# node ≥ 20.19 (the version package.json's engines names); prints why not.
node_ok() {
  local node=${NODE_BIN:-node}
  if ! command -v "$node" >/dev/null 2>&1; then
    echo "Node.js is not installed"
    return 1
  fi
  if ! "$node" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
    echo "Node.js $("$node" -v) is too old"
    return 1
  fi
}

NODE_HOWTO="Queunir needs Node.js 20.19 or newer at /usr/bin/node (or NODE_BIN=...). Debian 12 and Ubuntu 24.04 ship older ones: install Node 20 LTS from NodeSource's Debian packages (their setup script for the 20.x line, then apt-get install nodejs), or from the official Linux x64 tarball unpacked under /usr/local, then run this again."

service_restart() {
  local unit=$1
  if has_systemd; then run systemctl restart "$unit"; else say "systemd is not running: restart $unit yourself"; fi
}

# GET URL until it answers 200, for at most SECONDS; node's fetch, so no curl is needed.
http_ok() {
  local url=$1 seconds=${2:-60}
  "${NODE_BIN:-node}" -e '
    const [url, secs] = process.argv.slice(1);
    const until = Date.now() + Number(secs) * 1000;
    (async () => {
      for (;;) {
        try { const r = await fetch(url, { signal: AbortSignal.timeout(3000) }); if (r.status === 200) process.exit(0); } catch {}
        if (Date.now() > until) process.exit(1);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();' "$url" "$seconds"
}
