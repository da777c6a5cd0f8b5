#!/bin/sh
# Installs what `make check` and `make demo` need on Debian 12, as root.
# Quick when everything is present already: it checks before it installs.
set -eu
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

# Daemons from Debian packages must not start on install: tests start their own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
fi

APT_PACKAGES=$(grep -v -e "^#" -e "^ *$" scripts/apt-packages.txt)

missing=""
for p in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "bootstrap: installing Debian packages:$missing"
    # slapd asks debconf questions; the tests run private instances, so the default config is irrelevant.
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
    apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing >/dev/null
fi

# The virtualenv uses Debian's interpreter: the one the .deb runs on, with dbm.gnu.
pipq() {
    if out=$(.venv/bin/pip -q --disable-pip-version-check "$@" 2>&1); then rc=0; else rc=$?; fi
    # pip is chatty (absent local indexes, setuptools notices): show its output only on failure.
    [ "$rc" -eq 0 ] || printf '%s\n' "$out" | grep -v "is ignored: it is neither" >&2
    return $rc
}
REQ=requirements-dev.txt
STAMP=.venv/.bootstrap-stamp
if [ ! -x .venv/bin/python ] || [ ! -f "$STAMP" ] || ! cmp -s "$REQ" "$STAMP"; then
    if [ ! -x .venv/bin/python ]; then
        /usr/bin/python3 -m venv .venv
        pipq install --upgrade pip setuptools wheel
    fi
    pipq install -r "$REQ"
    cp "$REQ" "$STAMP"
fi
# The project itself, editable, so .venv/bin has its entry points (courier-demo).
# "compat" mode puts the tree on sys.path with a plain .pth line; the default mode
# installs an import finder that costs tens of ms in every per-connection process.
if [ ! -f .venv/.project-stamp-compat ] || [ pyproject.toml -nt .venv/.project-stamp-compat ]; then
    pipq install --no-deps --no-build-isolation -e . --config-settings editable_mode=compat
    touch .venv/.project-stamp-compat
fi
# A session imports most of the package only after it has become the account, and then
# cannot write __pycache__: without this, every connection would compile those modules again.
.venv/bin/python -m compileall -q -j 0 courier >/dev/null
