#!/bin/sh
# Inside a FreeBSD or OmniOS (illumos) virtual machine of the matrix, as root: install Node 20 and npm (the ci/
# scripts are POSIX sh). On illumos koffi has no prebuilt binary, so its install script builds it from the sources
# in its npm package: that needs a C++20 compiler (koffi's docs: gcc/g++ 8.3 or newer), CMake 3.11 or newer and
# GNU make (CMake's Makefile generator looks for gmake first; illumos' own make is not GNU make). Whether koffi
# then compiles is not proven: its base library has no illumos branch (docs/targets.md, "The CI matrix").
set -eu
case "$(uname -s)" in
  FreeBSD)
    env ASSUME_ALWAYS_YES=yes pkg install -y node20 npm-node20
    ;;
  SunOS)
    # OmniOS keeps Node and cmake in its "extra" publisher, one per release (e.g. r151052).
    rel=$(uname -v | sed -n 's/^omnios-\(r[0-9]*\).*/\1/p')
    if [ -n "$rel" ] && ! pkg publisher extra.omnios >/dev/null 2>&1; then
      pkg set-publisher -g "https://pkg.omnios.org/$rel/extra/" extra.omnios
    fi
    # One package at a time: pkg install exits 4 when a package is already there, and compiler names vary by release.
    for p in ooce/runtime/node-20 ooce/developer/cmake developer/build/gnu-make; do
      pkg install "$p" || [ $? -eq 4 ]
    done
    pkg install developer/gcc14 || pkg install developer/gcc13 || [ $? -eq 4 ]
    ;;
  *)
    echo "vm-prepare.sh: no recipe for $(uname -s)" >&2
    exit 1
    ;;
esac
PATH="/opt/ooce/bin:$PATH" node --version
