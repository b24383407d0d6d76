#!/usr/bin/env bash
# The peer comparison's Oscar side, from nothing: a scratch virtualenv outside the repo,
# a generated Oscar project and its own PostgreSQL database (bench_peer_oscar), our books
# loaded as Oscar products, the pages timed. Nothing of Oscar lands in the repo.
# See bench/peer/README.md.
#
#   bench/peer/oscar_sandbox.sh venv                # pip install django-oscar 4.2.1 (+ what it needs)
#   bench/peer/oscar_sandbox.sh export [N]          # N books (100000) from drive_solidaire_bench_scale, read-only
#   bench/peer/oscar_sandbox.sh load [N]            # (re)make bench_peer_oscar, migrate, load N books
#   bench/peer/oscar_sandbox.sh time [REQUESTS]     # server time in-process, p50/p95/p99 (400)
#   bench/peer/oscar_sandbox.sh throughput [ROUNDS] # gunicorn + wrk (3 rounds of 10 s per load)
#   bench/peer/oscar_sandbox.sh drop                # drop bench_peer_oscar
#   bench/peer/oscar_sandbox.sh all [N]             # venv, export, load, time, throughput
#
# Every heavy step runs under the shared lock (HEAVY_LOCK, /tmp/heavy.lock): the machine has
# 2 cores and a benchmark next to another heavy job measures nothing.
set -euo pipefail

VENV=${OSCAR_VENV:-/tmp/oscar-venv}
export OSCAR_PEER_DIR=${OSCAR_PEER_DIR:-/tmp/oscar-peer}
LOCK=${HEAVY_LOCK:-/tmp/heavy.lock}
HERE="$(cd "$(dirname "$0")" && pwd)"
DRIVER="$HERE/oscar_peer.py"

case "$VENV/" in "$(cd "$HERE/../.." && pwd)"/*) echo "the virtualenv must live outside the repo" >&2; exit 2 ;; esac

heavy() { flock "$LOCK" "$@"; }

step=${1:-}
shift || true
case "$step" in
venv)
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    # Django and the drivers at the versions our own site runs (constraints.txt), so the
    # comparison is Oscar against us, not one Django or psycopg against another.
    heavy "$VENV/bin/pip" install -q "django-oscar[sorl-thumbnail]==4.2.1" Django==5.2.19 \
        psycopg2-binary==2.9.13 gunicorn==27.0.1 python-stdnum
    "$VENV/bin/pip" freeze | grep -i -E '^(django|django-oscar|django-haystack|sorl-thumbnail|psycopg2-binary|gunicorn|python-stdnum)=='
    ;;
export) heavy "$VENV/bin/python" "$DRIVER" export --books "${1:-100000}" ;;
load) heavy "$VENV/bin/python" "$DRIVER" load ${1:+--books "$1"} ;;
time) heavy "$VENV/bin/python" "$DRIVER" time --requests "${1:-400}" ;;
throughput) heavy "$VENV/bin/python" "$DRIVER" throughput --rounds "${1:-3}" ;;
drop) "$VENV/bin/python" "$DRIVER" drop ;;
all)
    "$0" venv
    "$0" export "${1:-100000}"
    "$0" load
    "$0" time
    "$0" throughput
    ;;
*)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
