#!/bin/sh
# Build the .deb and .rpm packages from this tree: packaging/build.sh [deb|rpm|all] [OUTDIR]
set -eu
what=${1:-all}
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${2:-$top/build/packages}" && cd "${2:-$top/build/packages}" && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$top/pyproject.toml")
clean_env="env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8"

stage() { # copy the tracked (and new, unignored) files of the tree
    rm -rf "$1"; mkdir -p "$1"
    (cd "$top" && git ls-files -co --exclude-standard -z | xargs -0 -I{} sh -c '[ -e "{}" ] && echo "{}"' \
        | tar -cf - -T -) | tar -xf - -C "$1"
}

if [ "$what" = deb ] || [ "$what" = all ]; then
    src="$out/deb/courier-imap-$version"
    stage "$src"
    cp -r "$top/packaging/deb/debian" "$src/debian"
    (cd "$src" && $clean_env dpkg-buildpackage -us -uc -b >"$out/deb/build.log" 2>&1) \
        || { tail -40 "$out/deb/build.log" >&2; exit 1; }
    echo "deb: $(ls "$out"/deb/*.deb | tr '\n' ' ')"
fi
if [ "$what" = rpm ] || [ "$what" = all ]; then
    rpmtop="$out/rpm"
    rm -rf "$rpmtop"; mkdir -p "$rpmtop/SOURCES"
    stage "$rpmtop/courier-imap-$version"
    tar -C "$rpmtop" -czf "$rpmtop/SOURCES/courier-imap-$version.tar.gz" "courier-imap-$version"
    # Debian's rpm database knows none of the build dependencies.
    nodeps=""; [ -f /etc/debian_version ] && nodeps=--nodeps
    $clean_env rpmbuild -bb $nodeps --define "_topdir $rpmtop" "$top/packaging/rpm/courier-imap.spec" \
        >"$rpmtop/build.log" 2>&1 || { tail -40 "$rpmtop/build.log" >&2; exit 1; }
    echo "rpm: $(ls "$rpmtop"/RPMS/noarch/*.rpm | tr '\n' ' ')"
fi
