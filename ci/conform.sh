#!/bin/sh
# Run the suite on this machine (or on a target started from it) and validate the results file it wrote. Used by
# .ci/run and by every job of the multi-OS matrix (.github/workflows/conformance.yml).
# Usage: ci/conform.sh [OUT_DIR] [--target native|gvisor|ia32|vm]   (default results/, native)
# The file is OUT_DIR/<target id>.json, named by the id the results carry: linux-x86_64-glibc natively,
# linux-x86_64-glibc-gvisor in gVisor, linux-x86_64-glibc-ia32 for ia32 (needs ci/ia32-root.sh),
# linux-6.1-x86_64-glibc-vm in a VM booting Linux 6.1 (the guest's kernel; needs ci/fetch-kernel.sh).
# SEMCONF_FILTER=PATTERN runs only the matching cases (run --filter: a glob on case ids such as mlock.*, a
# comma-separated list, or /REGEX/; quick checks of this script; the matrix runs everything);
# SEMCONF_KERNEL=FILE|DIR is --kernel for --target vm.
#
# POSIX sh, not Bash: the macOS runner's bash is 3.2, where "${a[@]}" of an empty array under set -u is an error,
# and the VMs run it before bash exists. No arrays: the argument list is built in "$@", which is never empty when
# expanded. checkbashisms and dash/posh check this (test/ci-shell.test.ts).
set -eu
cd "$(dirname "$0")/.."
out_dir=${1:-results}
target=native
if [ "${2:-}" = "--target" ]; then target=${3:?--target needs a value: native, gvisor, ia32 or vm}; fi
mkdir -p "$out_dir"
# The id is known only once the run is done (a VM's names its kernel): write, then rename by the id inside.
partial="$out_dir/.conform-$target-$$.json"
set -- run --target "$target"
[ -z "${SEMCONF_FILTER:-}" ] || set -- "$@" --filter "$SEMCONF_FILTER"
[ -z "${SEMCONF_KERNEL:-}" ] || set -- "$@" --kernel "$SEMCONF_KERNEL"
status=0
node dist/src/cli.js "$@" --out "$partial" || status=$?
[ -f "$partial" ] || exit "$status"
id=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).target.id)' "$partial")
mv "$partial" "$out_dir/$id.json"
echo "results: $out_dir/$id.json"
[ "$status" -eq 0 ] || exit "$status"
node dist/src/cli.js validate "$out_dir/$id.json"
