#!/bin/sh
# Inside a FreeBSD or OmniOS virtual machine of the matrix, as root, in the synced checkout: install, build, run the
# suite and validate its results into out/ (the VM action copies the directory back to the runner).
set -eu
cd "$(dirname "$0")/.."
if [ "$(uname -s)" = SunOS ]; then
  PATH="/opt/ooce/bin:/opt/gcc-14/bin:/opt/gcc-13/bin:$PATH"
  # koffi has no illumos binary: its install script (cnoke) builds it with CMake, which takes the compilers from
  # CC and CXX and, for its Makefile generator, looks for gmake before make.
  CC=gcc
  CXX=g++
  export PATH CC CXX
fi
echo "== $(uname -a); node $(node --version), npm $(npm --version)"
# --foreground-scripts: koffi's install script (allowed in package.json "allowScripts") prints its build here.
if ! npm ci --no-audit --no-fund --foreground-scripts; then
  if [ "$(uname -s)" = SunOS ]; then
    echo "vm-conform.sh: npm ci failed; on illumos that is koffi's build from source, which koffi does not support (docs/targets.md, \"The CI matrix\")" >&2
  fi
  exit 1
fi
node -e "import('koffi').then((k) => console.log('koffi ' + k.default.version + ' loads'))"
npm run build
sh ci/conform.sh out
