#!/bin/sh
# The matrix's last job: validate every results file the other jobs uploaded, merge them into one matrix and report
# it as Markdown (into the job summary when there is one) and as one self-contained HTML file.
# Usage: ci/report.sh [IN_DIR] [OUT_DIR] [EXPECTED]   (default matrix-in/ and .)
#   IN_DIR holds results files, directly or one directory per artifact (results-<job>/<target-id>.json, as
#   actions/download-artifact lays them out without merge-multiple).
#   EXPECTED, comma-separated, names the jobs that should have uploaded results: job J's are the files in
#   IN_DIR/results-J/. A job without any is reported "missing: no results" (semconf merge --expect), not left out.
#
# POSIX sh, not Bash (see ci/conform.sh): no arrays, no shopt; an unmatched glob stays literal and is skipped.
set -eu
cd "$(dirname "$0")/.."
in_dir=${1:-matrix-in}
out_dir=${2:-.}
expected=${3:-}
# "$@" becomes the merge command line; it starts non-empty so it is never expanded empty.
set -- merge
n=0
for f in "$in_dir"/*.json "$in_dir"/*/*.json; do
  [ -f "$f" ] || continue
  node dist/src/cli.js validate "$f"
  set -- "$@" "$f"
  n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
  echo "report.sh: no results files in $in_dir" >&2
  exit 1
fi
mkdir -p "$out_dir"
# Each expected job: NAME=FILE for every file it uploaded, or NAME alone (missing) when it uploaded none.
set -f
old_ifs=$IFS
IFS=,
for job in $expected; do
  IFS=$old_ifs
  set +f
  found=0
  for f in "$in_dir/results-$job"/*.json; do
    [ -f "$f" ] || continue
    set -- "$@" --expect "$job=$f"
    found=1
  done
  [ "$found" -eq 1 ] || set -- "$@" --expect "$job"
  set -f
  IFS=,
done
IFS=$old_ifs
set +f
node dist/src/cli.js "$@" --out "$out_dir/matrix.json"
node dist/src/cli.js report --format md --out "$out_dir/matrix.md" "$out_dir/matrix.json"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$out_dir/matrix.md" >> "$GITHUB_STEP_SUMMARY"; fi
node dist/src/cli.js report --format html --out "$out_dir/matrix.html" "$out_dir/matrix.json"
echo "report.sh: $n results file(s) → $out_dir/matrix.json, matrix.md, matrix.html"
