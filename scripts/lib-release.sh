# shellcheck shell=bash
# Releases (sourced by scripts/install and scripts/upgrade, after lib-ops.sh):
#   $OPT/releases/<version>-<UTC timestamp>/   one complete copy: code, production node_modules,
#                                             dist/web; root-owned, read-only for the services
#   $OPT/current -> releases/<…>              what the units run (WorkingDirectory)
#   $WWW (/var/www/app) -> $OPT/current/dist/web   what nginx serves, so the web app switches
#                                                  (and rolls back) with the code
# A release whose source is the same as current's (same files, same bytes) is not made again.

KEEP_RELEASES=${KEEP_RELEASES:-5}

# The files of a release: what git tracks (plus new, unignored files), or everything but build
# output and data without git.
release_files() {
  local src=$1
  if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$src" ls-files -z --cached --others --exclude-standard | tr '\0' '\n' |
      while IFS= read -r f; do [ -e "$src/$f" ] && printf '%s\n' "$f"; done
  else
    (cd "$src" && find . -path ./node_modules -prune -o -path ./.data -prune -o -path ./.git -prune -o -path ./dist -prune \
      -o -path ./scratch -prune -o -path ./.tap -prune -o -path ./.run -prune -o \( -type f -o -type l \) -print | sed 's|^\./||' | sort)
  fi | grep -vE '^(scratch|\.tap|\.data|dist|node_modules)/' | LC_ALL=C sort
}

source_sum() {
  local src=$1
  release_files "$src" | tar -C "$src" --no-recursion --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - -T - | sha256sum | cut -d' ' -f1
}

# Makes (or reuses) the release for SRC; sets RELEASE.
prepare_release() {
  local src=$1 version=$2 sum current_sum
  sum=$(source_sum "$src")
  current_sum=$(cat "$OPT/current/.source-sum" 2>/dev/null || true)
  if [ "$sum" = "$current_sum" ] && [ -z "${FORCE_RELEASE:-}" ]; then
    RELEASE=$(readlink -f "$OPT/current")
    say "the source is unchanged since $(basename "$RELEASE"): reusing it"
    return 0
  fi
  RELEASE=$OPT/releases/$version-$(date -u +%Y%m%d%H%M%S)
  local tmp=$RELEASE.partial
  printf '+ copy %s (%s files) -> %s\n' "$src" "$(release_files "$src" | wc -l)" "$RELEASE" >&2
  if [ "$DRY_RUN" = 1 ]; then
    printf '+ node_modules: copy %s/node_modules or npm ci; vite build (VITE_SAAS=1) -> dist/web; scripts/build-server.sh -> dist/server; npm prune --omit=dev\n' "$src" >&2
    return 0
  fi
  # A run that failed half-way (no network for npm ci, say) leaves its .partial copy: a new run
  # starts clean instead of piling them up.
  local stale
  for stale in "$OPT"/releases/*.partial; do
    [ -d "$stale" ] || continue
    say "removing $(basename "$stale") (left by a run that did not finish)"
    rm -rf "$stale"
  done
  install -d -m 0755 "$tmp"
  release_files "$src" | tar -C "$src" --no-recursion -cf - -T - | tar -C "$tmp" -xf -
  # Dependencies: the checkout's own node_modules when it is current with the lockfile (offline,
  # fast), else a clean npm ci. Dev dependencies are needed for the web build, then pruned.
  if [ -f "$src/node_modules/.package-lock.json" ] && [ ! "$src/package-lock.json" -nt "$src/node_modules/.package-lock.json" ]; then
    printf '+ cp -a %s/node_modules/. %s/node_modules/\n' "$src" "$tmp" >&2
    # "/." : the contents, even when node_modules itself is a symlink (never prune the source's).
    mkdir "$tmp/node_modules"
    cp -a "$src/node_modules/." "$tmp/node_modules/"
  else
    run_sh "cd '$tmp' && npm ci --no-audit --no-fund --loglevel=error"
  fi
  if [ -f "$tmp/web/vite.config.ts" ]; then
    run_sh "cd '$tmp' && VITE_SAAS=1 '${NODE_BIN:-node}' node_modules/vite/bin/vite.js build --config web/vite.config.ts --logLevel warn"
    [ -f "$tmp/dist/web/index.html" ] || die "the web build left no dist/web/index.html"
  fi
  # The server programs compiled once: the units run dist/server/*.mjs, with no TypeScript loader.
  if [ -f "$tmp/scripts/build-server.sh" ]; then
    run_sh "cd '$tmp' && bash scripts/build-server.sh"
    [ -f "$tmp/dist/server/gateway.mjs" ] || die "the server build left no dist/server/gateway.mjs"
  fi
  run_sh "cd '$tmp' && npm prune --omit=dev --no-audit --no-fund --offline --loglevel=error"
  # The slice image build keeps its (large) base root filesystem cache outside the releases.
  install -d -m 0700 "$VAR_LIB/build"
  rm -rf "$tmp/.data"
  ln -s "$VAR_LIB/build" "$tmp/.data"
  printf '%s\n' "$sum" >"$tmp/.source-sum"
  chown -R root:root "$tmp" 2>/dev/null || true
  chmod -R u+rwX,go+rX,go-w "$tmp"
  mv "$tmp" "$RELEASE"
  say "release $(basename "$RELEASE") ready"
}

# Points current (and the web root) at RELEASE, atomically; keeps the newest KEEP_RELEASES.
switch_current() {
  local release=$1
  run_sh "ln -sfn '$release' '$OPT/current.new' && mv -T '$OPT/current.new' '$OPT/current'"
  if [ -d "$WWW" ] && [ ! -L "$WWW" ]; then
    run mv "$WWW" "$WWW.before-queunir-$(date -u +%Y%m%d%H%M%S)"
  fi
  run install -d "$(dirname "$WWW")"
  run_sh "ln -sfn '$OPT/current/dist/web' '$WWW.new' && mv -T '$WWW.new' '$WWW'"
  [ "$DRY_RUN" = 1 ] && return 0
  local keep
  keep=$(readlink -f "$OPT/current")
  # shellcheck disable=SC2012
  ls -1dt "$OPT"/releases/*/ 2>/dev/null | sed 's|/$||' | tail -n +$((KEEP_RELEASES + 1)) | while IFS= read -r old; do
    [ "$(readlink -f "$old")" = "$keep" ] || { say "removing old release $(basename "$old")"; rm -rf "$old"; }
  done
}
