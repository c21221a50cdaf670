#!/usr/bin/env bash
# Runs every test: the tap suites of every program (real PostgreSQL, Chromium, Docker), then the
# web app's Vitest suite; ends with one summary line over both: "tests: N passed, N failed".
# Extra arguments go to tap (a file list, --grep …) and skip the web suite.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test || exit 1
rm -rf .tap/test-results .tap/vitest.json
status=0
npx tap --reporter=base "$@" || status=$?
# *.exclusive.test.ts disturb every Docker user (the engine restarted): kept out of the parallel
# run by package.json's tap.exclude, run here one at a time; their results join .tap/test-results.
if [ $# -eq 0 ]; then
  mapfile -t exclusive < <(find . -path ./node_modules -prune -o -path './.*' -prune -o -path '*/test/*.exclusive.test.ts' -print | sort)
  if [ ${#exclusive[@]} -gt 0 ]; then npx tap --reporter=base --jobs=1 "${exclusive[@]}" || status=1; fi
fi
if [ $# -eq 0 ] && [ -f web/vitest.config.ts ]; then
  npx vitest run --config web/vitest.config.ts --reporter=default --reporter=json --outputFile.json="$PWD/.tap/vitest.json" || status=1
fi
npx tsx scripts/test-summary.ts || status=1
exit $status
