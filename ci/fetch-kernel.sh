#!/usr/bin/env bash
# Fetch and unpack a second Linux kernel for `semconf run --target vm`: Debian bookworm's own linux-image-6.1.0-*-amd64
# (the package linux-image-amd64 depends on), from Debian's apt repository, into a cache outside the repository:
#
#   ${SEMCONF_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/semconf/kernels}/<package>_<version>/
#       boot/vmlinuz-<release>        the package's compressed kernel (bzImage)
#       boot/vmlinux-<release>        the same kernel, uncompressed here: qemu boots it through its PVH entry point,
#                                     skipping the decompressor and the firmware (seconds under TCG)
#       lib/modules/<release>/        the package's modules, with the modules.dep written here by depmod
#       semconf-kernel                "<package> <version>" (the launcher records it in the results)
#   .../current -> <package>_<version>  the default kernel of --target vm
#
# Nothing is installed: `apt-get download` only fetches the .deb (the host's apt state and /boot are untouched) and
# `dpkg -x` unpacks it. Idempotent: a complete entry is reused. Needs apt-get, dpkg, xz and depmod (kmod).
# Usage: ci/fetch-kernel.sh [PACKAGE]   (default: what linux-image-amd64 depends on)   Prints the entry's directory.
set -euo pipefail
cache=${SEMCONF_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/semconf/kernels}
pkg=${1:-$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')}
[ -n "$pkg" ] || { echo "fetch-kernel: apt knows no linux-image-amd64 (is this Debian with its main repository?)" >&2; exit 1; }
version=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '$1 == "Version:" { print $2; exit }')
[ -n "$version" ] || { echo "fetch-kernel: apt knows no package $pkg" >&2; exit 1; }
entry="$cache/${pkg}_${version}"
if [ -f "$entry/semconf-kernel" ]; then
  ln -sfn "$(basename "$entry")" "$cache/current"
  echo "$entry"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
# (As root, apt would drop to _apt, which cannot write into a cache under /root: it only warns, but says so.)
# An apt mirror hiccup is retried; a package that does not exist is not (apt-cache found it above).
for attempt in 1 2 3 4; do
  if (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$version" >&2); then break; fi
  [ "$attempt" -lt 4 ] || { echo "fetch-kernel: apt-get download $pkg=$version failed $attempt times" >&2; exit 1; }
  sleep $((attempt * 5))
done
deb=$(ls "$work"/*.deb)
dpkg -x "$deb" "$work/root"

vmlinuz=$(ls "$work"/root/boot/vmlinuz-*)
release=${vmlinuz##*/vmlinuz-}
# The bzImage's setup header says where its compressed payload starts: (setup_sects + 1) * 512 + payload_offset
# (Documentation/arch/x86/boot.rst, fields at 0x1f1 and 0x248). Debian's 6.1 kernels are xz-compressed
# (CONFIG_KERNEL_XZ); --single-stream stops at the end of the stream and ignores the size word after it.
setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$vmlinuz" | tr -d ' ')
[ "$setup_sects" -ne 0 ] || setup_sects=4
payload_offset=$(od -An -tu4 -j $((0x248)) -N4 "$vmlinuz" | tr -d ' ')
start=$(((setup_sects + 1) * 512 + payload_offset))
# (Through a process substitution: xz stops reading at the stream's end, and tail's SIGPIPE is no failure.)
xz -dc --single-stream < <(tail -c +$((start + 1)) "$vmlinuz") > "$work/root/boot/vmlinux-$release"
# The package ships no modules.dep (its postinst would write it): write it into the unpacked tree only.
depmod -b "$work/root" "$release"
echo "$pkg $version" > "$work/root/semconf-kernel"
rm -rf "$entry"
mv "$work/root" "$entry"
ln -sfn "$(basename "$entry")" "$cache/current"
echo "$entry"
