#!/usr/bin/env bash
# Runs michi's Go benchmarks of the hot paths and rewrites benchmarks/RESULTS.md with the
# numbers, the machine, the Go version and the commit. Usage: bash benchmarks/run.sh [benchtime]
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime=${1:-2s}
out=$(mktemp)
go test -run '^$' -bench . -benchmem -benchtime "$benchtime" -count 3 ./benchmarks/ ./pkg/v2x/ ./pkg/geo/ ./internal/ldm/ ./internal/detect/ 2>&1 | tee "$out"
{
  echo "# Benchmark results"
  echo
  echo "Produced by \`bash benchmarks/run.sh $benchtime\`; 3 runs of each benchmark (benchstat-friendly raw output below)."
  echo
  echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- go: $(go version | cut -d' ' -f3-)"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo
  echo '```'
  grep -E '^(Benchmark|goos|goarch|pkg|cpu|ok)' "$out"
  echo '```'
} > benchmarks/RESULTS.raw.md
echo "raw results written to benchmarks/RESULTS.raw.md; summarise them in benchmarks/RESULTS.md"
