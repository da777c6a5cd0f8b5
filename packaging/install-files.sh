#!/bin/sh
# Install everything but the Python package into DESTDIR, for both the .deb and the .rpm.
# usage: install-files.sh DESTDIR UNITDIR FLAVOUR(deb|rpm)
set -eu
DEST=$1; UNITDIR=$2; FLAVOUR=$3
cd "$(dirname "$0")/.."

# pip's console scripts are for development; packages install bin/ by layout.txt.
rm -rf "$DEST/usr/bin" "$DEST/usr/local/bin"
# Where the Python package was installed (imapd and pop3d run without site, see bin/imapd).
init=$(find "$DEST" -path '*/courier/__init__.py' | head -n 1)
[ -n "$init" ] || { echo "install-files: install the Python package into $DEST first" >&2; exit 1; }
PYDIR=${init%/courier/__init__.py}
PYDIR=${PYDIR#"$DEST"}
# pybuild installs into python3.X/dist-packages; dh_python3 then moves it to python3/.
if [ "$FLAVOUR" = deb ]; then
    PYDIR=$(echo "$PYDIR" | sed 's|^/usr/lib/python3\.[0-9]*/dist-packages$|/usr/lib/python3/dist-packages|')
fi
grep -v -e '^#' -e '^ *$' packaging/layout.txt | while read -r prog dir _pkg; do
    [ -f "bin/$prog" ] || { echo "install-files: bin/$prog is listed in packaging/layout.txt but missing" >&2; exit 1; }
    name=$prog
    # Debian's maildrop also ships maildirmake: Debian's Courier names its own maildirmake.courier.
    [ "$FLAVOUR" = deb ] && [ "$prog" = maildirmake ] && name=maildirmake.courier
    install -D -m 0755 "bin/$prog" "$DEST$dir/$name"
    # Debian's python3, keeping the wrapper's flags (-I, or -IS for the per-connection programs,
    # which then find the package through the directory written here).
    sed -i -e '1s|^#!\S*python3|#!/usr/bin/python3|' \
        -e "s|^sys.path.append(.*)  # PACKAGE DIR\$|sys.path.append(\"$PYDIR\")|" "$DEST$dir/$name"
done
for f in bin/*; do
    prog=$(basename "$f")
    [ "$prog" = courier-demo ] && continue
    grep -q "^$prog " packaging/layout.txt || { echo "install-files: bin/$prog has no line in packaging/layout.txt" >&2; exit 1; }
done

for u in systemd/*.socket systemd/*.service; do
    install -D -m 0644 "$u" "$DEST$UNITDIR/$(basename "$u")"
done
install -D -m 0644 systemd/courier-imap.tmpfiles "$DEST/usr/lib/tmpfiles.d/courier-imap.conf"

for d in etc/*.dist; do
    install -D -m 0644 "$d" "$DEST/etc/courier/$(basename "$d")"
done
if [ "$FLAVOUR" = rpm ] && [ -d packaging/rpm/pam.d ]; then pamsrc=packaging/rpm/pam.d; else pamsrc=pam.d; fi
for p in "$pamsrc"/*; do
    [ -f "$p" ] && install -D -m 0644 "$p" "$DEST/etc/pam.d/$(basename "$p")"
done
if [ "$FLAVOUR" = deb ]; then
    install -D -m 0755 packaging/courier-imap.sysvinit "$DEST/etc/init.d/courier-imap"
    # Under systemd the socket units replace the init script: mask it there.
    ln -sf /dev/null "$DEST$UNITDIR/courier-imap.service"
fi

for m in man/*.[1-8]; do
    [ -f "$m" ] || continue
    section=${m##*.}
    name=$(basename "$m")
    [ "$FLAVOUR" = deb ] && [ "$name" = maildirmake.1 ] && name=maildirmake.courier.1
    install -D -m 0644 "$m" "$DEST/usr/share/man/man$section/$name"
    gzip -9nf "$DEST/usr/share/man/man$section/$name"
done
install -d -m 0755 "$DEST/etc/courier/shared"
