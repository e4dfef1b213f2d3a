#!/usr/bin/env bash
# The NAT lab for `twofold-bench direct`: builds the lab with netem delay (RTT_MS between two
# sites, RTT_MS/2 between a site and the servers), starts coturn, and connects each case RUNS
# times, printing one line per run: "CASE ESTABLISHED_MS PAIR" (the controlling end's time from
# both descriptions exchanged to the pair selected and a 4 KiB echo over the stream).
# Usage: bench.sh ICE_PEER RTT_MS RUNS. Needs root; exit 77 otherwise.
set -euo pipefail

PEER=$1 RTT=$2 RUNS=$3
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lab.sh"
source "$HERE/../../scripts/lib/coturn.sh"
if [ "$(id -u)" != 0 ]; then
    echo "the NAT lab needs root (network namespaces)" >&2
    exit 77
fi
lab_run_setup

lab_standard "$RTT"
lab_coturn_start

for spec in lan:lanh1:lanh2:host cone-cone:cone1h1:cone2h1:server-reflexive symmetric-relay:sym1h1:sym2h1:relayed; do
    IFS=: read -r name a b expect <<<"$spec"
    for run in $(seq 1 "$RUNS"); do
        dir="$WORK/$name-$run"
        if ! lab_ice_pair "$PEER" "$dir" "$a" "$b" "$expect" "${SERVERS[@]}"; then
            echo "$name run $run: expected $expect: $(cat "$dir/a.json" "$dir/a.err")" >&2
            exit 1
        fi
        ms=$(sed -n 's/.*"established_ms":\([0-9.]*\).*/\1/p' "$dir/a.json")
        pair=$(sed -n 's/.*"pair":"\([a-z-]*\)".*/\1/p' "$dir/a.json")
        echo "$name $ms $pair"
    done
done
