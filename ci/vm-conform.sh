#!/bin/sh
# Inside a FreeBSD or OmniOS virtual machine of the matrix, as root, in the synced checkout: install, build, run the
# suite and validate its results into out/ (the VM action copies the directory back to the runner).
set -eu
cd "$(dirname "$0")/.."
if [ "$(uname -s)" = SunOS ]; then
  PATH="/opt/ooce/bin:/opt/gcc-14/bin:/opt/gcc-13/bin:$PATH"
  export PATH
fi
echo "== $(uname -a); node $(node --version)"
npm ci --no-audit --no-fund
npm run build
sh ci/conform.sh out
