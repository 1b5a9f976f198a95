#!/usr/bin/env bash
# The matrix's last job: validate every results file the other jobs uploaded, merge them into one matrix and report
# it as Markdown (into the job summary when there is one) and as one self-contained HTML file.
# Usage: ci/report.sh [IN_DIR] [OUT_DIR]   (default matrix-in/ and .)
set -euo pipefail
cd "$(dirname "$0")/.."
in_dir=${1:-matrix-in}
out_dir=${2:-.}
shopt -s nullglob
files=("$in_dir"/*.json)
if [ ${#files[@]} -eq 0 ]; then
  echo "report.sh: no results files in $in_dir" >&2
  exit 1
fi
mkdir -p "$out_dir"
for f in "${files[@]}"; do node dist/src/cli.js validate "$f"; done
node dist/src/cli.js merge "${files[@]}" --out "$out_dir/matrix.json"
node dist/src/cli.js report --format md --out "$out_dir/matrix.md" "$out_dir/matrix.json"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$out_dir/matrix.md" >> "$GITHUB_STEP_SUMMARY"; fi
node dist/src/cli.js report --format html --out "$out_dir/matrix.html" "$out_dir/matrix.json"
echo "report.sh: ${#files[@]} results file(s) → $out_dir/matrix.json, matrix.md, matrix.html"
