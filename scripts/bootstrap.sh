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

APT_PACKAGES="python3-venv python3-dev python3-gdbm build-essential pkg-config
 libsystemd-dev libldap2-dev libsasl2-dev libgdbm-dev
 systemd openssl ca-certificates
 slapd ldap-utils mariadb-server mariadb-client postgresql postgresql-client
 libpam-modules libpam-runtime fetchmail
 debhelper dh-python pybuild-plugin-pyproject python3-all python3-setuptools
 python3-build python3-installer lintian rpm rpmlint"

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
REQ=requirements-dev.txt
STAMP=.venv/.bootstrap-stamp
if [ ! -x .venv/bin/python ] || [ ! -f "$STAMP" ] || ! cmp -s "$REQ" "$STAMP"; then
    [ -x .venv/bin/python ] || /usr/bin/python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -r "$REQ"
    cp "$REQ" "$STAMP"
fi
# The project itself, editable, so .venv/bin has its entry points (courier-demo).
if [ ! -f .venv/.project-stamp ] || [ pyproject.toml -nt .venv/.project-stamp ]; then
    .venv/bin/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
    touch .venv/.project-stamp
fi
