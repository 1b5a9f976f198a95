#!/bin/sh
# What semconf's own tests need beyond npm, installed when missing: `npm test` runs this first (pretest), so README's
# two commands work on a machine that never saw the project, and .ci/run needs no install step of its own.
#   chromium          the HTML report is checked in a real headless browser
#   libxml2-utils     xmllint: the JUnit report is validated against junit-10.xsd
#   man-db, manpages-dev
#                     the Linux profile's quotes are checked against the installed Linux man-pages (lint --man-pages)
#   runsc             gVisor, the second implementation of the Linux system calls (a live target)
#   posh, devscripts  the ci/ scripts are checked under a strict POSIX shell and by checkbashisms
#   qemu-system-x86, busybox-static, kmod, xz-utils, cpio
#                     --target vm: qemu (TCG) boots a second Linux kernel from a busybox initramfs whose modules
#                     depmod orders; its vmlinux is extracted from the xz-compressed vmlinuz; the tests read cpio
# and, once the packages are there, the kernel the VM boots (ci/fetch-kernel.sh: Debian's linux-image-6.1 unpacked
# into ~/.cache/semconf/kernels, nothing installed into /boot) and the i386 root of the ia32 target (ci/ia32-root.sh: Debian's nodejs:i386 in a
# cache outside the repository, with a private apt configuration; built once, then reused).
# Each is a Debian package. Installing needs root and apt; without them this says what is missing and fails, so a
# live test is never skipped in silence. SEMCONF_TEST_DEPS=skip leaves everything as it is (the tests that need a
# missing tool then fail, saying which).
set -eu
[ "${SEMCONF_TEST_DEPS:-}" = skip ] && exit 0
[ "$(uname -s)" = Linux ] || exit 0

missing=""
need() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need chromium chromium
need xmllint libxml2-utils
need man man-db
[ -f /usr/share/man/man2/mlock.2.gz ] || missing="$missing manpages-dev"
need runsc runsc
need posh posh
need checkbashisms devscripts
need qemu-system-x86_64 qemu-system-x86
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || missing="$missing busybox-static"
[ -x /usr/sbin/depmod ] || [ -x /sbin/depmod ] || missing="$missing kmod"
need xz xz-utils
need cpio cpio

targets() {
  [ "$(uname -m)" = x86_64 ] || return 0
  [ "$(id -u)" = 0 ] || { echo "semconf tests: the ia32 root and the VM's kernel need root to set up (ci/ia32-root.sh, ci/fetch-kernel.sh)" >&2; return 1; }
  # depmod lives in /usr/sbin, which a non-login PATH may lack.
  PATH="$PATH:/usr/sbin:/sbin" bash "$(dirname "$0")/fetch-kernel.sh" >/dev/null
  bash "$(dirname "$0")/ia32-root.sh" >/dev/null
}
if [ -z "$missing" ]; then
  targets
  exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "semconf tests need these Debian packages:$missing; install them as root (apt-get install$missing), or set SEMCONF_TEST_DEPS=skip" >&2
  exit 1
fi
echo "semconf tests: installing$missing (Debian packages)" >&2
export DEBIAN_FRONTEND=noninteractive
# One retry: a mirror caught mid-sync fails an update once ("Mirror sync in progress?").
apt-get update -qq || { sleep 5; apt-get update -qq; }
# devscripts without its recommends (only checkbashisms is used); the rest as Debian means them (chromium's fonts).
plain=""; bare=""
for p in $missing; do
  if [ "$p" = devscripts ]; then bare="$bare $p"; else plain="$plain $p"; fi
done
# shellcheck disable=SC2086 # the package names are words
[ -z "$plain" ] || apt-get install -y -qq $plain >/dev/null
# shellcheck disable=SC2086
[ -z "$bare" ] || apt-get install -y -qq --no-install-recommends $bare >/dev/null
targets
