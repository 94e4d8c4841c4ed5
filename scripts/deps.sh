#!/bin/sh
# Install, on Debian, every package pgtt's build, tests and demo need.
# Idempotent: apt-get update runs only when something is missing.
set -eu

PACKAGES="build-essential pkg-config libpq-dev liblmdb-dev libyaml-dev libpg-query-dev
libncurses-dev libjansson-dev libcmocka-dev postgresql postgresql-client
postgresql-contrib tmux perl util-linux procps lmdb-utils time clang
libclang-rt-dev libmicrohttpd-dev pgbackrest"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "deps: everything is installed"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: need root or sudo to install:$missing" >&2
	exit 1
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
