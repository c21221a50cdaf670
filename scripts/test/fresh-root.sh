#!/usr/bin/env bash
# A throwaway "fresh Debian 12 machine" for running scripts/install for real: a debootstrap
# (minbase) bookworm root filesystem entered with chroot, with /proc, /sys, /dev, /dev/pts,
# /dev/shm and /run mounted. Used by scripts/test/fresh-root-install.test.ts; usable by hand:
#
#   scripts/test/fresh-root.sh create ROOT      unpack the cached base into ROOT (empty or absent), give it
#                                         Node 20, a copy of this checkout at /root/queunir, and
#                                         mount what a running system has
#   scripts/test/fresh-root.sh run ROOT CMD…    run CMD inside ROOT as root (a login-like environment)
#   scripts/test/fresh-root.sh destroy ROOT     kill what runs inside ROOT, unmount, delete ROOT
#   scripts/test/fresh-root.sh stale            destroy the roots of earlier runs whose owner is gone
#   scripts/test/fresh-root.sh base             make the cached base tarball now (debootstrap, ~1-3 min)
#   scripts/test/fresh-root.sh mounts DIR       list what is mounted at or under DIR (deepest first)
#
# What makes it differ from a real fresh machine, on purpose (all said again where they happen):
# - Node: the host's own node binary and npm are copied in (the README's premise is "a fresh
#   machine with Node 20"; both are bookworm builds, same glibc), as /usr/bin/node like NodeSource's
#   package puts it.
# - /usr/sbin/policy-rc.d answers 101, as in Debian's container images: without systemd as PID 1,
#   package scripts would otherwise start PostgreSQL, nginx and a second dockerd from init scripts
#   in the host's network namespace. The installer starts what it needs itself.
# - Docker: no engine runs inside; the host's /run/docker.sock is bound in, so the installer's
#   network and image steps and the supervisor use the host engine. The root's group `docker` is
#   made beforehand with the gid that owns the host socket (docker.io's package keeps an existing
#   group), so membership of it means the same on both sides.
# - The network namespace is the host's: PostgreSQL (5432) and the gateway (127.0.0.1:3000) use
#   their production ports on the host's loopback.
# - Downloads are cached across runs (the apt archives and npm's cache are bind-mounted in from
#   the cache directory); the packages are still installed by the installer, from the mirror.
#
# The cache lives in $FRESH_ROOT_CACHE (default /var/cache/queunir/fresh-root). Nothing is deleted
# while anything is still mounted under it: destroy refuses, and says what is left.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${FRESH_ROOT_CACHE:-/var/cache/queunir/fresh-root}
BASE=$CACHE/bookworm-minbase.tar
SUITE=bookworm

say() { printf 'fresh-root: %s\n' "$*" >&2; }
die() { printf 'fresh-root: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (chroot, mount, debootstrap)"

mirror() {
  # The first main-archive URI of the host's apt sources (deb822 or one-line form), as
  # scripts/build-slice-image.sh finds it.
  local uri
  uri=$(grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n1 | awk '{print $2}') || true
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^\s*deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | head -n1 | awk '{print $2}') || true
  fi
  [ -n "$uri" ] || die "no apt mirror configured in /etc/apt/sources.list*"
  echo "$uri"
}

# The mount points at or under DIR, deepest first.
mounts_under() {
  local dir
  dir=$(readlink -f "$1")
  findmnt -rn -o TARGET | awk -v d="$dir" '$0 == d || index($0, d "/") == 1' | sort -r
}

make_base() {
  mkdir -p "$CACHE"
  exec 7>"$CACHE/.base.lock"
  flock -w 1200 7 || die "could not lock $CACHE/.base.lock"
  [ -f "$BASE" ] && return 0
  command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap; scripts/ensure-docker.sh installs it)"
  local dir=$CACHE/base.build uri started=$SECONDS
  uri=$(mirror)
  [ -z "$(mounts_under "$CACHE")" ] || die "something is mounted under $CACHE; run: $0 stale"
  rm -rf --one-file-system "$dir"
  say "debootstrap --variant=minbase $SUITE from $uri (once; cached as $BASE) …"
  debootstrap --variant=minbase "$SUITE" "$dir" "$uri" >"$CACHE/debootstrap.log" 2>&1 \
    || die "debootstrap failed, see $CACHE/debootstrap.log"
  # A fresh server's apt sources: the host's (the same mirror, plus security updates).
  rm -f "$dir/etc/apt/sources.list"
  cp -a /etc/apt/sources.list.d/. "$dir/etc/apt/sources.list.d/" 2>/dev/null || true
  [ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$dir/etc/apt/sources.list"
  rm -f "$dir"/var/cache/apt/archives/*.deb
  rm -rf "$dir"/var/lib/apt/lists/*
  tar -C "$dir" --numeric-owner -cf "$BASE.tmp" . && mv "$BASE.tmp" "$BASE"
  rm -rf --one-file-system "$dir"
  say "base ready in $((SECONDS - started)) s ($(du -h "$BASE" | cut -f1))"
}

mount_root() {
  local root=$1
  # Bound files and directories stay private to this mount (no propagation back to the host).
  bindm() { mount --bind "$1" "$2" && mount --make-private "$2"; }
  mount -t proc proc "$root/proc"
  mount -t sysfs -o ro sysfs "$root/sys"
  bindm /dev "$root/dev"
  bindm /dev/pts "$root/dev/pts"
  mount -t tmpfs -o mode=1777,size=512m shm "$root/dev/shm"
  mount -t tmpfs -o mode=0755,size=256m run "$root/run"
  mkdir -p "$root/run/lock" && chmod 1777 "$root/run/lock"
  if [ -S /run/docker.sock ]; then
    touch "$root/run/docker.sock"
    bindm /run/docker.sock "$root/run/docker.sock"
  fi
  # Download caches (shared by runs): apt's archives and npm's cache.
  mkdir -p "$CACHE/apt-archives/partial" "$CACHE/npm"
  bindm "$CACHE/apt-archives" "$root/var/cache/apt/archives"
  mkdir -p "$root/root/.npm"
  bindm "$CACHE/npm" "$root/root/.npm"
}

umount_root() {
  local root=$1 m
  for m in $(mounts_under "$root"); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  local left
  left=$(mounts_under "$root")
  [ -z "$left" ] || die "still mounted under $root (not deleting anything): $(echo "$left" | tr '\n' ' ')"
}

# Processes whose root directory is ROOT: they were started inside it (by us).
procs_in() {
  local root p r
  root=$(readlink -f "$1")
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    [ "$r" = "$root" ] && echo "${p#/proc/}"
  done
  return 0
}

kill_in() {
  local root=$1 pids
  pids=$(procs_in "$root")
  [ -n "$pids" ] || return 0
  say "stopping what still runs in $root: $(echo $pids)"
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 1 50); do
    pids=$(procs_in "$root"); [ -n "$pids" ] || return 0; sleep 0.2
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  sleep 0.5
}

destroy() {
  local root=$1
  [ -d "$root" ] || return 0
  root=$(readlink -f "$root")
  case $root in "$CACHE"/roots/*) ;; *) die "refusing to destroy $root: not under $CACHE/roots" ;; esac
  kill_in "$root"
  umount_root "$root"
  rm -rf --one-file-system "$root"
}

create() {
  local root=$1
  mkdir -p "$CACHE/roots"
  root=$(readlink -f "$root")
  case $root in "$CACHE"/roots/*) ;; *) die "a root must be under $CACHE/roots (where stale ones are found and removed)" ;; esac
  [ ! -e "$root" ] || [ -z "$(ls -A "$root")" ] || die "$root is not empty"
  make_base
  local started=$SECONDS
  mkdir -p "$root"
  # Who made it: a later run removes it when that process is gone.
  echo "${FRESH_ROOT_OWNER:-$PPID}" >"$root.owner"
  tar -C "$root" --numeric-owner -xf "$BASE"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  cp /etc/hosts "$root/etc/hosts"
  # This network's trust: the host's local CAs (a TLS-inspecting proxy, say) go where Debian's
  # ca-certificates picks them up when the installer installs it, and npm is told to use that
  # bundle the way the host's npm is (node's own CA list does not have them).
  if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
  fi
  local cafile
  cafile=$(npm config get cafile 2>/dev/null || true)
  if [ -n "$cafile" ] && [ "$cafile" != null ] && [ "$cafile" != undefined ]; then
    printf 'cafile=%s\n' "$cafile" >"$root/root/.npmrc"
  fi
  printf '#!/bin/sh\n# A chroot: package scripts start no daemons (as in Debian container images).\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  # Node 20 and npm, as NodeSource's package lays them out: the host's own (see the header).
  local node npm_dir
  node=$(readlink -f "$(command -v node)") || die "no node on this host"
  npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
  [ -f "$npm_dir/package.json" ] || die "cannot find npm's directory (from $(command -v npm))"
  install -m 0755 "$node" "$root/usr/bin/node"
  mkdir -p "$root/usr/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
  ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  # Docker's group with the gid of the host socket (see the header).
  if [ -S /run/docker.sock ]; then
    local gid
    gid=$(stat -c %g /run/docker.sock)
    if [ "$gid" != 0 ]; then
      if chroot "$root" getent group "$gid" >/dev/null; then die "gid $gid (the host docker socket's group) is taken in the base root"; fi
      chroot "$root" groupadd --system --gid "$gid" docker
    fi
  fi
  # The checkout, as `git clone` would leave it (without .git): what git tracks, plus new files.
  # shellcheck source=scripts/lib-ops.sh
  source "$HERE/scripts/lib-ops.sh"
  # shellcheck source=scripts/lib-release.sh
  source "$HERE/scripts/lib-release.sh"
  mkdir -p "$root/root/queunir"
  release_files "$HERE" | tar -C "$HERE" --no-recursion -cf - -T - | tar -C "$root/root/queunir" -xf -
  mount_root "$root"
  # apt downloads as _apt into the shared archives directory.
  chroot "$root" sh -c 'id -u _apt >/dev/null 2>&1 && chown _apt:root /var/cache/apt/archives/partial || true'
  say "root $root ready in $((SECONDS - started)) s"
}

run_in() {
  local root=$1; shift
  [ -x "$root/usr/bin/node" ] || die "$root is not a fresh root (see: $0 create)"
  mountpoint -q "$root/proc" || die "$root has no /proc mounted (see: $0 create)"
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

stale() {
  [ -d "$CACHE/roots" ] || return 0
  local d owner
  for d in "$CACHE"/roots/*/; do
    [ -d "$d" ] || continue
    d=${d%/}
    owner=$(cat "$d.owner" 2>/dev/null || echo 0)
    if [ "$owner" != 0 ] && kill -0 "$owner" 2>/dev/null; then continue; fi
    say "removing the stale root $d"
    destroy "$d"
    rm -f "$d.owner"
  done
}

cmd=${1:-}; shift || true
case $cmd in
  base) make_base; echo "$BASE" ;;
  create) create "${1:?create ROOT}" ;;
  run) root=${1:?run ROOT CMD…}; shift; run_in "$root" "$@" ;;
  destroy) destroy "${1:?destroy ROOT}"; rm -f "$(readlink -f "$1").owner" ;;
  stale) stale ;;
  mounts) mounts_under "${1:?mounts DIR}" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
