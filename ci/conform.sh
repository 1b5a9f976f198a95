#!/bin/sh
# Run the suite on this machine and validate the results file it wrote. Used by .ci/run and by every job of the
# multi-OS matrix (.github/workflows/conformance.yml).
# Usage: ci/conform.sh [OUT_DIR] [--target native|gvisor|ia32]   (default results/, native)
# The file is OUT_DIR/<target-id>.json, another target's OUT_DIR/<target-id>-<target>.json (ia32 needs ci/ia32-root.sh).
# SEMCONF_FILTER=PATTERN runs only the matching cases (quick checks of this script; the matrix runs everything).
#
# POSIX sh, not Bash: the macOS runner's bash is 3.2, where "${a[@]}" of an empty array under set -u is an error,
# and the VMs run it before bash exists. No arrays: the argument list is built in "$@", which is never empty when
# expanded. checkbashisms and dash/posh check this (test/ci-shell.test.ts).
set -eu
cd "$(dirname "$0")/.."
out_dir=${1:-results}
target=native
if [ "${2:-}" = "--target" ]; then target=${3:?--target needs a value: native, gvisor or ia32}; fi
mkdir -p "$out_dir"
id=$(node -e "import('./dist/runners/index.js').then(m => console.log(m.createRunner().facts.id))")
suffix=""
[ "$target" = native ] || suffix="-$target"
file="$out_dir/$id$suffix.json"
set -- run --target "$target"
[ -z "${SEMCONF_FILTER:-}" ] || set -- "$@" --filter "$SEMCONF_FILTER"
node dist/src/cli.js "$@" --out "$file"
node dist/src/cli.js validate "$file"
