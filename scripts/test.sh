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
if [ $# -eq 0 ] && [ -f web/vitest.config.ts ]; then
  npx vitest run --config web/vitest.config.ts --reporter=default --reporter=json --outputFile.json="$PWD/.tap/vitest.json" || status=1
fi
npx tsx scripts/test-summary.ts || status=1
exit $status
