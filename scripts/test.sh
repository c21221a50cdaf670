#!/usr/bin/env bash
# Runs every test with tap, then prints one summary line counted over every assertion of every
# file: "tests: N passed, N failed". Extra arguments go to tap (a file list, --grep …).
set -uo pipefail
cd "$(dirname "$0")/.."
rm -rf .tap/test-results
npx tap --reporter=base "$@"
status=$?
npx tsx scripts/test-summary.ts || status=1
exit $status
