#!/usr/bin/env bash
# Makes sure a Docker engine answers on /var/run/docker.sock: installs docker.io (and debootstrap,
# which the slice image build needs) when missing, starts dockerd in the background when no
# engine runs, and waits for it. Safe to run from several test files at once (one flock).
# Exit 0 when Docker answers; non-zero with one line on stderr otherwise.
set -euo pipefail

LOG=${DOCKERD_LOG:-/var/log/queunir-dockerd.log}
LOCK=/tmp/queunir-ensure-docker-v2.lock

exec 9>"$LOCK"
flock -w 600 9 || { echo "ensure-docker: could not take $LOCK" >&2; exit 1; }

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "ensure-docker: ${need[*]} missing and not root" >&2; exit 1; fi
  echo "ensure-docker: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Another apt run (another helper, unattended upgrades) may hold the lock for a while.
  for i in $(seq 1 60); do
    if apt-get -o DPkg::Lock::Timeout=60 update -qq && apt-get -o DPkg::Lock::Timeout=120 install -y -qq "${need[@]}" >/dev/null; then break; fi
    [ "$i" = 60 ] && { echo "ensure-docker: apt-get install ${need[*]} failed" >&2; exit 1; }
    sleep 5
  done
fi

if docker info >/dev/null 2>&1; then exit 0; fi

if [ ! -S /var/run/docker.sock ] || ! pgrep -x dockerd >/dev/null; then
  echo "ensure-docker: starting dockerd (log: $LOG)" >&2
  rm -f /var/run/docker.pid
  # 9>&-: the daemon must not inherit the lock, or every later run would wait on it forever.
  nohup dockerd >"$LOG" 2>&1 </dev/null 9>&- &
  disown || true
fi

for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then exit 0; fi
  sleep 0.5
done
echo "ensure-docker: dockerd did not answer within 60 s; see $LOG" >&2
tail -n 5 "$LOG" >&2 || true
exit 1
