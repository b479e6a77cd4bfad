#!/usr/bin/env bash
# Builds the Debian package of msgrelay and msgctl: OUTDIR/msgrelay_<version>-<revision>_<arch>.deb (OUTDIR: the
# current folder). What it installs where: docs/deploy.md, "Debian package".
#
#   scripts/package-deb.sh [OUTDIR]                     # release build, Swift runtime linked in statically
#   scripts/package-deb.sh --bin-dir DIR [OUTDIR]       # packages the msgctl and msgrelay already built in DIR
#
# Options:
#   --bin-dir DIR                  package DIR/msgctl and DIR/msgrelay instead of building
#   --revision N                   the Debian revision (default 1): raise it to repackage the same version
#   --allow-toolchain-libraries    accept binaries linked against the Swift toolchain's shared libraries (debug
#                                  builds, for the tests): such a package runs only where that toolchain is installed
#                                  at the same path, and lintian reports its RUNPATH. Never for a release.
#
# The version is msgctl's (`msgctl --version`, from Sources/MsgLib/Support/MsgLibInfo.swift). Maintainer: DEBFULLNAME
# and DEBEMAIL, as for Debian's tools. Needs dpkg-dev (dpkg-shlibdeps) and binutils (strip).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

usage() {
    echo "usage: scripts/package-deb.sh [--bin-dir DIR] [--revision N] [--allow-toolchain-libraries] [OUTDIR]" >&2
    exit 2
}

bin_dir=""
revision=1
allow_toolchain=false
out_dir=.
while [ $# -gt 0 ]; do
    case $1 in
        --bin-dir) [ $# -ge 2 ] || usage; bin_dir=$2; shift 2 ;;
        --revision) [ $# -ge 2 ] || usage; revision=$2; shift 2 ;;
        --allow-toolchain-libraries) allow_toolchain=true; shift ;;
        -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        -*) usage ;;
        *) out_dir=$1; shift ;;
    esac
done
fail() {
    echo "package-deb: $*" >&2
    exit 1
}
[[ $revision =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || fail "bad revision: $revision"
for tool in dpkg-deb dpkg-shlibdeps strip readelf; do
    command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install dpkg-dev binutils)"
done

if [ -z "$bin_dir" ]; then
    # The Swift runtime goes into the binaries, so the package needs no toolchain; no RUNPATH ($ORIGIN) either;
    # relocations resolved at start-up, so that the whole GOT is read-only (full RELRO).
    flags=(-c release --static-swift-stdlib --disable-local-rpath -Xlinker -z -Xlinker now)
    swift build "${flags[@]}" --product msgrelay
    swift build "${flags[@]}" --product msgctl
    bin_dir=$(swift build "${flags[@]}" --show-bin-path)
fi
for program in msgctl msgrelay; do
    [ -x "$bin_dir/$program" ] || fail "no $bin_dir/$program"
    # What the binaries load: Debian's libraries only, unless told otherwise.
    $allow_toolchain && continue
    dynamic=$(readelf -d "$bin_dir/$program")
    swift_libraries=$(grep -oE '\[lib(swift|Foundation|_Foundation|dispatch|BlocksRuntime)[^]]*\]' <<<"$dynamic" | tr -d '[]' | tr '\n' ' ' || true)
    search_path=$(grep -E '\((RPATH|RUNPATH)\)' <<<"$dynamic" | sed 's/.*: //' || true)
    [ -z "$swift_libraries$search_path" ] ||
        fail "$program needs the Swift toolchain's libraries (${swift_libraries}${search_path:+search path $search_path}):" \
            "build with --static-swift-stdlib --disable-local-rpath, or leave out --bin-dir"
done

version=$("$bin_dir/msgctl" --version | sed -n 's/^msgctl //p')
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || fail "cannot read the version from $bin_dir/msgctl --version"
debian_version=$version-$revision
arch=$(dpkg --print-architecture)
maintainer="${DEBFULLNAME:-msgrelay maintainers} <${DEBEMAIL:-msgrelay@example.org}>"
# The date of the packaged commit (reproducible builds), unless SOURCE_DATE_EPOCH says otherwise.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

work=$(mktemp -d /tmp/msgrelay-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
umask 022
# dpkg-shlibdeps wants the conventional layout: debian/control and the tree in debian/<package>.
stage=$work/debian/msgrelay
mkdir -p "$stage/DEBIAN"

install -Dm755 "$bin_dir/msgrelay" "$stage/usr/bin/msgrelay"
install -Dm755 "$bin_dir/msgctl" "$stage/usr/bin/msgctl"
strip --remove-section=.comment --remove-section=.note "$stage/usr/bin/msgrelay" "$stage/usr/bin/msgctl"

install -d "$stage/usr/share/man/man1" "$stage/usr/share/man/man8"
gzip -9n <man/msgctl.1 >"$stage/usr/share/man/man1/msgctl.1.gz"
gzip -9n <man/msgrelay.8 >"$stage/usr/share/man/man8/msgrelay.8.gz"

# The completions scripts/generate-completions.sh keeps current, where bash-completion, zsh and fish look; bash's
# without their #! line (bash-completion sources them).
for program in msgctl msgrelay; do
    install -d "$stage/usr/share/bash-completion/completions"
    sed '1{/^#!/d}' "completions/$program.bash" >"$stage/usr/share/bash-completion/completions/$program"
    install -Dm644 "completions/_$program" "$stage/usr/share/zsh/vendor-completions/_$program"
    install -Dm644 "completions/$program.fish" "$stage/usr/share/fish/vendor_completions.d/$program.fish"
done

# The unit of deploy/, pointed at the packaged binaries.
unit=$stage/lib/systemd/system/msgrelay.service
install -d "$(dirname "$unit")"
sed -e 's#/usr/local/bin/#/usr/bin/#g' \
    -e '/^# Install as /c\# Installed by the msgrelay package; local changes: `systemctl edit msgrelay` (README.Debian).' \
    deploy/msgrelay.service >"$unit"
grep -q '^ExecStart=/usr/bin/msgrelay$' "$unit" && grep -q '^EnvironmentFile=/etc/msgrelay/msgrelay.env$' "$unit" &&
    ! grep -q '/usr/local\|docs/deploy.md' "$unit" || fail "deploy/msgrelay.service changed shape: update scripts/package-deb.sh"
chmod 644 "$unit"

# The settings, a conffile; postinst gives it mode 0640 and the msgrelay group.
install -Dm644 deploy/msgrelay.env "$stage/etc/msgrelay/msgrelay.env"
echo /etc/msgrelay/msgrelay.env >"$stage/DEBIAN/conffiles"

doc=$stage/usr/share/doc/msgrelay
install -Dm644 deploy/debian/copyright "$doc/copyright"
install -Dm644 deploy/debian/README.Debian "$doc/README.Debian"
{
    echo "msgrelay ($debian_version) unstable; urgency=medium"
    echo
    echo "  * msgrelay and msgctl $version."
    echo
    echo " -- $maintainer  $(date -R -u -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.Debian.gz"

for script in postinst prerm postrm; do
    install -m755 "deploy/debian/$script" "$stage/DEBIAN/$script"
done

printf 'Source: msgrelay\n\nPackage: msgrelay\nArchitecture: any\n' >"$work/debian/control"
shlibs_flags=()
$allow_toolchain && shlibs_flags=(--ignore-missing-info)
depends=$(cd "$work" && dpkg-shlibdeps -O "${shlibs_flags[@]}" debian/msgrelay/usr/bin/msgrelay debian/msgrelay/usr/bin/msgctl 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || fail "dpkg-shlibdeps found no dependencies"

installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOF
Package: msgrelay
Version: $debian_version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends, adduser
Section: net
Priority: optional
Description: private real-time conversations between a website's users and its admin
 msgrelay serves a REST API and a WebSocket protocol over PostgreSQL through
 which the signed-in users of a website talk with the site's admin, with Web
 Push and Slack notifications and attachments; several relays may share one
 database. msgctl is the admin's command-line toolkit and live chat console.
 .
 The service is installed but neither enabled nor started: set DATABASE_URL
 and JWT_SECRET in /etc/msgrelay/msgrelay.env first (README.Debian).
EOF
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum >DEBIAN/md5sums)
chmod 644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out_dir"
deb="$out_dir/msgrelay_${debian_version}_$arch.deb"
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "$deb"
