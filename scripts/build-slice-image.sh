#!/usr/bin/env bash
# Builds the slice image on a machine that reaches no container registry, equivalent to
# slice/Dockerfile: a Debian bookworm root filesystem made by debootstrap from the apt mirror this
# machine is configured with, Debian's chromium and tini installed in it, the host's node binary
# (also bookworm, same glibc) copied in, `docker import`ed as a local base tag; then `docker build`
# FROM that tag with the repo's runtime files. The base rootfs tarball is cached under
# .data/slice-image/ so a second build only redoes the last step.
#
#   scripts/build-slice-image.sh [--rebuild-base]      (SLICE_IMAGE picks the tag)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
START=$(date +%s)

IMAGE=${SLICE_IMAGE:-queunir/slice:latest}
BASE_TAG=${SLICE_BASE_IMAGE:-queunir/slice-base:bookworm}
WORK=$ROOT/.data/slice-image
TARBALL=$WORK/base-rootfs.tar
CTX=$WORK/context
mkdir -p "$WORK"

# One build at a time (test files may ask concurrently).
exec 8>"$WORK/.lock"
flock -w 1800 8

if [ "${1:-}" = "--rebuild-base" ]; then
  rm -f "$TARBALL"
  docker image rm -f "$BASE_TAG" >/dev/null 2>&1 || true
fi

mirror() {
  # The first main-archive URI of the configured sources (deb822 or one-line form).
  local uri
  uri=$(grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n1 | awk '{print $2}') || true
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^\s*deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | head -n1 | awk '{print $2}') || true
  fi
  [ -n "$uri" ] || { echo "build-slice-image: no apt mirror configured in /etc/apt/sources.list*" >&2; exit 1; }
  echo "$uri"
}

build_rootfs() {
  local dir=$WORK/rootfs
  local uri
  uri=$(mirror)
  command -v debootstrap >/dev/null || { echo "build-slice-image: debootstrap missing (scripts/ensure-docker.sh installs it)" >&2; exit 1; }
  rm -rf "$dir"
  echo "build-slice-image: debootstrap bookworm (minbase) …" >&2
  debootstrap --variant=minbase bookworm "$dir" "$uri" >"$WORK/debootstrap.log" 2>&1 \
    || { echo "build-slice-image: debootstrap failed, see $WORK/debootstrap.log" >&2; exit 1; }
  # The image's apt sources: the same mirror, plus security updates.
  cp -a /etc/apt/sources.list.d/. "$dir/etc/apt/sources.list.d/" 2>/dev/null || true
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  mount --bind /proc "$dir/proc"
  trap 'umount "$dir/proc" 2>/dev/null || true' EXIT
  echo "build-slice-image: apt-get install chromium tini in the rootfs …" >&2
  chroot "$dir" /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
    apt-get install -y -qq --no-install-recommends chromium ca-certificates tini fonts-liberation fonts-noto-color-emoji procps >/dev/null && \
    apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*' >"$WORK/chroot-apt.log" 2>&1 \
    || { echo "build-slice-image: apt-get in the rootfs failed, see $WORK/chroot-apt.log" >&2; exit 1; }
  umount "$dir/proc"
  trap - EXIT
  # Node: the host's own binary (Node 20 on bookworm, same glibc as the image).
  install -m 0755 "$(readlink -f "$(command -v node)")" "$dir/usr/local/bin/node"
  : >"$dir/etc/resolv.conf"
  tar -C "$dir" -cf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL"
  rm -rf "$dir"
}

if ! docker image inspect "$BASE_TAG" >/dev/null 2>&1; then
  [ -f "$TARBALL" ] || build_rootfs
  echo "build-slice-image: docker import $BASE_TAG" >&2
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    "$TARBALL" "$BASE_TAG" >/dev/null
fi

# Nothing to do when the image was built from exactly these files (tests call this every run).
CONTEXT_SUM=$( { sha256sum package-lock.json slice/Dockerfile 2>/dev/null; find lib sql slice supervisor -type f -not -path '*/test/*' -print0 2>/dev/null | sort -z | xargs -0 sha256sum; cat supervisor/test/fixtures/*.ts 2>/dev/null; echo "$BASE_TAG"; } | sha256sum | cut -d' ' -f1)
if [ "${1:-}" != "--rebuild-base" ] && [ "$(docker image inspect -f '{{index .Config.Labels "com.queunir.context"}}' "$IMAGE" 2>/dev/null)" = "$CONTEXT_SUM" ]; then
  echo "build-slice-image: $IMAGE is up to date ($(( $(date +%s) - START )) s)"
  exit 0
fi

# The build context: the runtime files only, node_modules pruned to production dependencies.
# The pruned copy is kept and reused while package-lock.json is unchanged.
mkdir -p "$CTX"
LOCK_SUM=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$CTX/.lock-sum" 2>/dev/null)" != "$LOCK_SUM" ] || [ ! -d "$CTX/node_modules" ]; then
  echo "build-slice-image: copying production node_modules …" >&2
  rm -rf "$CTX/node_modules"
  cp package.json package-lock.json "$CTX/"
  cp -a node_modules "$CTX/node_modules"
  (cd "$CTX" && npm prune --omit=dev --no-audit --no-fund --offline >/dev/null 2>&1) \
    || echo "build-slice-image: npm prune failed; keeping the full node_modules" >&2
  echo "$LOCK_SUM" >"$CTX/.lock-sum"
fi
cp package.json package-lock.json "$CTX/"
for d in lib sql slice supervisor; do
  rm -rf "${CTX:?}/$d"
  [ -d "$d" ] && cp -a "$d" "$CTX/$d"
done
# Tests and test fixtures are not runtime files, except the stand-in slice the supervisor's tests
# may run as the container's command.
find "$CTX/lib" "$CTX/sql" "$CTX/slice" "$CTX/supervisor" -type d -name test -prune -exec rm -rf {} + 2>/dev/null || true
mkdir -p "$CTX/supervisor/test/fixtures"
cp supervisor/test/fixtures/*.ts "$CTX/supervisor/test/fixtures/" 2>/dev/null || true
rm -f "$CTX/slice/Dockerfile" "$CTX/slice/.dockerignore"
# The slice compiled once here into one file (dependencies stay in node_modules): a container start
# then runs plain JavaScript instead of compiling TypeScript on every start in a fresh filesystem.
rm -rf "$CTX/dist"
node_modules/.bin/esbuild slice/main.ts --bundle --platform=node --format=esm --target=node20 --packages=external \
  --outfile="$CTX/dist/slice.mjs" --log-level=warning \
  || { echo "build-slice-image: compiling the slice failed" >&2; exit 1; }

cat >"$CTX/Dockerfile" <<DOCKERFILE
FROM $BASE_TAG
# Same layout as slice/Dockerfile: an unprivileged user, the app under /app, the WhatsApp session
# under /data/auth (the named volume), everything else read-only at run time.
RUN groupadd --system --gid 10001 slice && useradd --system --uid 10001 --gid slice --home-dir /app --shell /usr/sbin/nologin slice \\
 && mkdir -p /data/auth && chown -R slice:slice /data && chmod 0700 /data/auth
WORKDIR /app
COPY --chown=root:root node_modules /app/node_modules
COPY --chown=root:root package.json package-lock.json /app/
COPY --chown=root:root lib /app/lib
COPY --chown=root:root sql /app/sql
COPY --chown=root:root supervisor /app/supervisor
COPY --chown=root:root slice /app/slice
COPY --chown=root:root dist /app/dist
ENV NODE_ENV=production SLICE_HOST=0.0.0.0 SLICE_PORT=3000 WA_AUTH_DIR=/data/auth \\
    CHROMIUM_PATH=/usr/lib/chromium/chromium HOME=/tmp TSX_DISABLE_CACHE=1
USER slice
EXPOSE 3000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/slice.mjs"]
DOCKERFILE

echo "build-slice-image: docker build $IMAGE" >&2
docker build -q -t "$IMAGE" --label com.queunir.image=slice --label "com.queunir.context=$CONTEXT_SUM" "$CTX" >/dev/null 2>"$WORK/docker-build.log" \
  || { echo "build-slice-image: docker build failed, see $WORK/docker-build.log" >&2; tail -n 20 "$WORK/docker-build.log" >&2; exit 1; }
echo "build-slice-image: built $IMAGE in $(( $(date +%s) - START )) s"
