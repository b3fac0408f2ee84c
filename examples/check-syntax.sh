#!/usr/bin/env bash
# Parses every .mdsl file under the given folders (default: examples/) with the normative grammar,
# using antlr-ng's grammar interpreter. Needs `npm ci` in grammar/ first. Exit code 1 on any error.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/grammar"
status=0
while IFS= read -r -d '' f; do
  out="$(npx --no-install interpreter workspaceFile "$f" MarketingDslParser.g4 MarketingDslLexer.g4 2>&1 | grep -v '^npm warn' || true)"
  if [ -n "$out" ]; then echo "FAIL $f"; echo "$out"; status=1; else echo "ok   $f"; fi
done < <(find "${@:-$root/examples}" -name '*.mdsl' -print0 | sort -z)
exit $status
