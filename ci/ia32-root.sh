#!/usr/bin/env bash
# A 32-bit (i386) userland for `semconf run --target ia32`: Debian's nodejs:i386 with the i386 libraries it needs,
# the i386 coreutils (cat(1), which the exec probe starts) and koffi's prebuilt ia32 binary, unpacked into a root
# directory in a cache outside the repository. Nothing is installed on the host: apt runs with a private
# configuration (APT_CONFIG) whose architectures, lists, package cache and dpkg status all live in the cache, so the
# host's apt and dpkg state (its architectures, lists, dpkg database, apt.conf.d hooks) is left exactly as it was;
# the script checks that at the end.
#
# Usage: ci/ia32-root.sh [ROOT]     (default: ${XDG_CACHE_HOME:-$HOME/.cache}/semconf/ia32-root); prints ROOT.
# Idempotent and cached: a root whose manifest asks for the same packages and koffi version is kept as it is; a new
# root is built beside it and moved into place only when complete, so a failed build never leaves a half root.
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${XDG_CACHE_HOME:-$HOME/.cache}/semconf
root=${1:-$cache/ia32-root}
apt_dir=$cache/ia32-apt
# nodejs pulls in libnode108 and its libraries (libc6, libstdc++6, libicu72, libssl3, libuv1 ...); coreutils gives
# the exec probe its program. --no-install-recommends keeps the closure to what they need to run.
packages=(nodejs coreutils)
koffi_version=$(node -p 'require("./package-lock.json").packages["node_modules/koffi"].version')
koffi_integrity=$(node -p 'require("./package-lock.json").packages["node_modules/@koromix/koffi-linux-ia32"]?.integrity ?? ""')
want="packages=${packages[*]} koffi=$koffi_version"
manifest=$root/.semconf-ia32.json

if [ -f "$manifest" ] && [ -x "$root/usr/bin/node" ] &&
  node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).want === process.argv[2] ? 0 : 1)' "$manifest" "$want"; then
  echo "$root"
  exit 0
fi

# The host's architectures now, compared at the end (its lists and dpkg database may change meanwhile through other
# people's apt runs, so only this is checked here; nothing below names a host path).
host_state() { dpkg --print-foreign-architectures; }
before=$(host_state)

say() { echo "ia32-root: $*" >&2; }

# --- a private apt -------------------------------------------------------------------------------------------------
mkdir -p "$apt_dir"/etc/apt.conf.d "$apt_dir"/etc/sources.list.d "$apt_dir"/etc/preferences.d \
  "$apt_dir"/state/lists/partial "$apt_dir"/cache/archives/partial "$apt_dir"/log
[ -f "$apt_dir/state/status" ] || : >"$apt_dir/state/status" # an empty dpkg database: nothing counts as installed
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$apt_dir/etc/sources.list" <<EOF
deb [arch=i386 signed-by=$keyring] http://deb.debian.org/debian bookworm main
deb [arch=i386 signed-by=$keyring] http://deb.debian.org/debian bookworm-updates main
deb [arch=i386 signed-by=$keyring] http://deb.debian.org/debian-security bookworm-security main
EOF
# APT_CONFIG is read before /etc/apt/apt.conf.d, so it can point apt away from the host's configuration parts (whose
# update hooks would otherwise run) and from every piece of the host's state.
cat >"$apt_dir/apt.conf" <<EOF
APT::Architecture "i386";
APT::Architectures { "i386"; };
APT::Install-Recommends "false";
Dir::Etc::Main "$apt_dir/etc/apt.conf";
Dir::Etc::Parts "$apt_dir/etc/apt.conf.d/";
Dir::Etc::SourceList "$apt_dir/etc/sources.list";
Dir::Etc::SourceParts "$apt_dir/etc/sources.list.d/";
Dir::Etc::Preferences "$apt_dir/etc/preferences";
Dir::Etc::PreferencesParts "$apt_dir/etc/preferences.d/";
Dir::State "$apt_dir/state/";
Dir::State::Lists "$apt_dir/state/lists/";
Dir::State::status "$apt_dir/state/status";
Dir::Cache "$apt_dir/cache/";
Dir::Cache::Archives "$apt_dir/cache/archives/";
Dir::Log "$apt_dir/log/";
Acquire::Retries "3";
Acquire::Languages "none";
// The .debs are fetched into a root-owned cache directory, which the _apt sandbox user cannot write.
APT::Sandbox::User "root";
EOF
export APT_CONFIG=$apt_dir/apt.conf
export DEBIAN_FRONTEND=noninteractive

# A mirror caught mid-sync serves an index of the wrong size ("Hashes of expected file ... Mirror sync in progress?")
# and fails the whole update: retry a few times, with a pause, before giving up. Only the private lists are affected.
updated=0
for attempt in 1 2 3 4 5; do
  if apt-get -qq update >"$apt_dir/log/update.out" 2>&1 && ! grep -q '^E:' "$apt_dir/log/update.out"; then
    updated=1
    break
  fi
  say "apt-get update failed (attempt $attempt): $(grep -m1 -E '^(E|W):' "$apt_dir/log/update.out" || tail -n1 "$apt_dir/log/update.out")"
  sleep $((attempt * 5))
done
[ "$updated" = 1 ] || { say "apt-get update kept failing; see $apt_dir/log/update.out"; exit 1; }

# The closure, as apt's resolver sees it against an empty system: "Inst NAME (VERSION ...)" per package.
mapfile -t closure < <(apt-get -s install "${packages[@]}" | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1=\2/p')
[ ${#closure[@]} -gt 0 ] || { say "apt could not resolve ${packages[*]} for i386"; exit 1; }
say "${#closure[@]} packages: ${closure[*]}"
debs=$apt_dir/debs
mkdir -p "$debs"
# apt-get download checks every file against the signed index (size and SHA256).
(cd "$debs" && apt-get -qq download "${closure[@]}")

# --- the root ------------------------------------------------------------------------------------------------------
new=$root.new.$$
rm -rf "$new"
mkdir -p "$new"
trap 'rm -rf "$new"' EXIT
versions=()
for spec in "${closure[@]}"; do
  name=${spec%%=*}
  version=${spec#*=}
  file=$(ls "$debs/${name}_${version//:/%3a}_"*.deb 2>/dev/null | head -n1)
  [ -n "$file" ] || { say "downloaded package $spec not found in $debs"; exit 1; }
  dpkg -x "$file" "$new"
  versions+=("$name" "$version")
done

# koffi's ia32 build: npm on this x64 host skips the optional @koromix/koffi-linux-ia32, so it is fetched with npm pack
# (checked against package-lock.json's integrity) and unpacked at /node_modules of the root. koffi's loader
# (src/static.js) does require('@koromix/koffi-linux-ia32') from node_modules/koffi, and Node's resolution walks
# up every parent directory to /node_modules: the checkout's own node_modules is never touched.
pack=$(mktemp -d)
(cd "$pack" && npm pack --silent --json "@koromix/koffi-linux-ia32@$koffi_version" >pack.json)
got=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].integrity' "$pack/pack.json")
if [ -n "$koffi_integrity" ] && [ "$got" != "$koffi_integrity" ]; then
  say "@koromix/koffi-linux-ia32@$koffi_version has integrity $got, package-lock.json says $koffi_integrity"
  exit 1
fi
mkdir -p "$new/node_modules/@koromix/koffi-linux-ia32"
tar -xzf "$pack"/*.tgz --strip-components=1 -C "$new/node_modules/@koromix/koffi-linux-ia32"
rm -rf "$pack"

# Mount points the launcher binds (src/targets/ia32.ts): /proc, /dev, a private /tmp.
mkdir -p "$new/proc" "$new/dev" "$new/tmp"
chmod 1777 "$new/tmp"

# It must run: a 32-bit Node that loads koffi and calls the 32-bit libc.
check=$(chroot "$new" /usr/bin/env -i PATH=/usr/bin:/bin /usr/bin/node -p 'process.arch + " " + process.version')
case $check in
  "ia32 v"*) ;;
  *) say "the new root's node reports \"$check\", not ia32"; exit 1 ;;
esac
node_version=${check#ia32 }

node -e '
  const [file, want, node, koffi, ...pairs] = process.argv.slice(1);
  const packages = {};
  for (let i = 0; i < pairs.length; i += 2) packages[pairs[i]] = pairs[i + 1];
  require("fs").writeFileSync(file, JSON.stringify({ want, node, koffi, packages }, null, 2) + "\n");
' "$new/.semconf-ia32.json" "$want" "$node_version" "$koffi_version" "${versions[@]}"

rm -rf "$root.old"
[ ! -e "$root" ] || mv "$root" "$root.old"
mv "$new" "$root"
trap - EXIT
rm -rf "$root.old"

after=$(host_state)
if [ "$before" != "$after" ]; then
  say "the host's dpkg architectures changed while the root was built:"
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
say "node $node_version (ia32), koffi $koffi_version, ${#closure[@]} Debian packages in $root"
echo "$root"
