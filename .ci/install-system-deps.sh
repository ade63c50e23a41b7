#!/usr/bin/env bash
# Install the Debian packages the test suite needs, and only those, when they are missing.
#
#   postgresql      server binaries for portail_tui/devtools/pgcluster.py (our own cluster)
#   openssh-server  sshd for the "agent logs in over SSH" end-to-end tests
#   tmux            drives the TUI in end-to-end tests
#   cups-client     `lp`, the printing path of receipts
#   openssl         a throwaway certificate for the STARTTLS mail test
#
# Idempotent and quiet: presence is checked first, so a repeated run costs milliseconds and
# touches neither the network nor dpkg. `apt-get update` runs at most once, only when
# something is missing. No service is started by the installation (the tests start their
# own PostgreSQL cluster and sshd).
# Without root, missing packages are reported and the script still exits 0, so a developer's
# run of .ci/run goes on (tests needing them skip).
set -euo pipefail

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
# Any major version of the server will do (pgcluster.py picks the highest one).
if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && ! have_pkg postgresql; then
    missing+=(postgresql)
fi
if ! [ -x /usr/sbin/sshd ] && ! have_pkg openssh-server; then
    missing+=(openssh-server)
fi
if ! command -v tmux >/dev/null 2>&1; then
    missing+=(tmux)
fi
if ! command -v lp >/dev/null 2>&1 && ! have_pkg cups-client; then
    missing+=(cups-client)
fi
if ! command -v openssl >/dev/null 2>&1; then
    missing+=(openssl)
fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$EUID" -ne 0 ]; then
    echo "install-system-deps: missing Debian packages (not root, not installing): ${missing[*]}" >&2
    echo "install-system-deps: install them with: sudo apt-get install ${missing[*]}" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/install-system-deps.XXXXXX.log)

# Forbid service starts during the installation: Debian's maintainer scripts would otherwise
# start the system PostgreSQL (and sshd) on machines with an init system. An existing policy
# is set aside and put back afterwards.
policy=/usr/sbin/policy-rc.d
policy_backup=""
restore_policy() {
    if [ -n "$policy_backup" ]; then
        mv -f "$policy_backup" "$policy"
    else
        rm -f "$policy"
    fi
}
if [ -e "$policy" ]; then
    policy_backup=$(mktemp /usr/sbin/policy-rc.d.saved.XXXXXX)
    cp -p "$policy" "$policy_backup"
fi
trap 'restore_policy; rm -f "$log"' EXIT
printf '#!/bin/sh\nexit 101\n' >"$policy"
chmod 755 "$policy"

echo "install-system-deps: installing ${missing[*]}"
if ! {
    apt-get update -qq &&
        apt-get install -y -qq --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            "${missing[@]}"
} >"$log" 2>&1; then
    echo "install-system-deps: apt-get failed:" >&2
    tail -n 40 "$log" >&2
    exit 1
fi
