#!/usr/bin/env bash
# Compiles the three server programs once into plain JavaScript under dist/server/ (esbuild, which
# comes with tsx): production runs `node dist/server/<program>.mjs`, without a TypeScript loader in
# every process (it cost the supervisor about 40 MB) or compiling at each start. Dependencies stay
# in node_modules; code loaded only sometimes (the Docker runtime, embedded PostgreSQL) stays in
# chunks of its own, loaded when used.
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist/server
rm -rf "$out.tmp"
node_modules/.bin/esbuild gateway/main.ts supervisor/main.ts slice/main.ts \
  --bundle --splitting --platform=node --format=esm --target=node20 --packages=external \
  --outdir="$out.tmp" --entry-names='[dir]' --chunk-names='chunks/[name]-[hash]' --out-extension:.js=.mjs \
  --log-level=warning
# [dir] names each entry after its folder: gateway.mjs, supervisor.mjs, slice.mjs.
for p in gateway supervisor slice; do [ -f "$out.tmp/$p.mjs" ] || { echo "build-server: $p.mjs missing" >&2; exit 1; }; done
rm -rf "$out" && mv "$out.tmp" "$out"
echo "build-server: $(ls "$out"/*.mjs | xargs -n1 basename | tr '\n' ' ')in $out"
