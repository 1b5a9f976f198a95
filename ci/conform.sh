#!/usr/bin/env bash
# Run the suite on this machine and validate the results file it wrote. Used by .ci/run and by every job of the
# multi-OS matrix. Usage: ci/conform.sh [OUT_DIR]   (default results/)
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir=${1:-results}
mkdir -p "$out_dir"
id=$(node -e "import('./dist/runners/index.js').then(m => console.log(m.createRunner().facts.id))")
node dist/src/cli.js run --out "$out_dir/$id.json"
node dist/src/cli.js validate "$out_dir/$id.json"
