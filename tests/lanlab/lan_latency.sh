#!/usr/bin/env bash
# `twofold-bench lan-rekey`'s lab run: the LAN lab, the servers (timed renewals every second,
# rekeys by the GMS's push, the relay and multicast), a group of four, then bob, carol (on the
# LAN) and dave (outside) following for RENEWALS seconds, each printing every rekey it receives
# and when. Leaves in OUT: gms/gms.log (when each rekey was made) and WHO.arrivals.
#   lan_latency.sh BIN_DIR OUT RENEWALS
set -uo pipefail
BIN=$(cd "$1" && pwd)
WORK=$2
renewals=$3
here=$(cd "$(dirname "$0")" && pwd)
[[ $(id -u) -eq 0 ]] || { echo "lan-rekey needs root (network namespaces)" >&2; exit 1; }
. "$here/lan_lab.sh"
trap lab_down EXIT
trap "exit 143" INT TERM
lab_up
. "$here/lan_deployment.sh"
lan_start_servers --log-level debug || exit 1
lan_form_group bench 1 || exit 1
pids=()
for who in bob carol dave; do
    lab_exec "${NS[$who]}" env TWOFOLD_PASSPHRASE="passphrase of $who" "$BIN/twofold-bench" lan-follower \
        --home "$WORK/$who" --seconds "$((renewals + 2))" >"$WORK/$who.arrivals" 2>"$WORK/$who.err" &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || { cat "$WORK"/*.err >&2; exit 1; }; done
