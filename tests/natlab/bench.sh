#!/usr/bin/env bash
# The NAT lab for `twofold-bench direct`: the lab with RTT_MS between two sites (RTT_MS/2 between
# a site and the servers; nfq_delay, lab.sh), coturn, the GMS and the relay in the internet
# namespace, real members in the sites. Per case and run the inviter makes a fresh group, runs
# `invite --direct` and waits with its offer sent; then the invitee runs `accept --code`. Both
# ends are ready when the invitee, logged in and holding the offer, starts gathering (its first
# direct progress line). One line per run, from the invitee's --json progress (at_ms):
#   CASE ESTABLISHED_MS RN1_MS PAIR RN1_FROM_ACCEPT_MS
# from both ends ready to the channel established (Noise done, identity keys checked) and to RN1
# received over it, and from the start of `accept` to RN1 received. Then the public-key route
# between the cone sites in the same lab, per run: the inviter online (`recv --follow`) with the
# invitation in the invitee's mailbox; from the start of the invitee's `accept` to its follow
# printing that RN1 arrived (the group key is ready):
#   public-key - - public-key RN1_FROM_ACCEPT_MS
# Usage: bench.sh BIN_DIR RTT_MS RUNS. Needs root; exit 77 otherwise.
set -euo pipefail

BIN=$(cd "$1" && pwd) RTT=$2 RUNS=$3
HERE=$(cd "$(dirname "$0")" && pwd)
export LAB_DELAYER=$BIN/nfq_delay
source "$HERE/lab.sh"
source "$HERE/../../scripts/lib/coturn.sh"
source "$HERE/member_lab.sh"
if [ "$(id -u)" != 0 ]; then
    echo "the NAT lab needs root (network namespaces)" >&2
    exit 77
fi
lab_run_setup

lab_standard "$RTT"
natlab_servers_start
natlab_member alice lanh1
natlab_member bob lanh2
natlab_member carol cone1h1
natlab_member dave cone2h1
natlab_member erin sym1h1
natlab_member frank sym2h1

now_ms() { date +%s%3N; }

# tf_bg WHO OUT ARGS...: the CLI in the background as one process (TF_PID), output to OUT.
tf_bg() {
    local who=$1 out=$2
    shift 2
    ip netns exec "$LAB-${MEMBER_NS[$who]}" env TWOFOLD_PASSPHRASE="passphrase of $who" "$BIN/twofold" "$@" \
        --home "$WORK/$who" >"$out" 2>&1 &
    TF_PID=$!
}
wait_for() {  # FILE TEXT SECONDS
    local i
    for i in $(seq 1 $(($3 * 100))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.01; done
    return 1
}

for spec in lan:alice:bob:host cone-cone:carol:dave:server-reflexive symmetric-relay:erin:frank:relayed; do
    IFS=: read -r name inviter invitee expect <<<"$spec"
    for run in $(seq 1 "$RUNS"); do
        group="$name-$run" dir="$WORK/$name-$run"
        mkdir -p "$dir"
        tf "$inviter" group create "$group" >/dev/null
        tf_bg "$inviter" "$dir/inviter.json" invite "$group" "$invitee" --direct --wait 60 --json
        inviting=$TF_PID
        wait_for "$dir/inviter.json" '"stage":"offer sent"' 30 || { echo "$name: no offer: $(cat "$dir/inviter.json")" >&2; exit 1; }
        code=$(code_of "$dir/inviter.json")
        t0=$(now_ms)
        if ! tf "$invitee" accept "$group" --code "$code" --json >"$dir/invitee.json" 2>&1; then
            echo "$name run $run: accept failed: $(cat "$dir/invitee.json")" >&2
            exit 1
        fi
        wait "$inviting" || { echo "$name run $run: invite failed: $(cat "$dir/inviter.json")" >&2; exit 1; }
        pair=$(json_field "$dir/invitee.json" accepted_direct pair)
        [ "$pair" = "$expect" ] || { echo "$name run $run: expected a $expect pair, got '$pair'" >&2; exit 1; }
        ready=$(json_field "$dir/invitee.json" gathering at_ms)
        established=$(json_field "$dir/invitee.json" established at_ms)
        rn1=$(json_field "$dir/invitee.json" "rn1 received" at_ms)
        echo "$name $((established - ready)) $((rn1 - ready)) $pair $((rn1 - t0))"
    done
done

for run in $(seq 1 "$RUNS"); do
    group="public-key-$run" dir="$WORK/public-key-$run"
    mkdir -p "$dir"
    tf carol group create "$group" >/dev/null
    tf carol invite "$group" dave >/dev/null
    tf_bg carol "$dir/inviter.follow" recv --follow --json
    following=$TF_PID
    sleep 1  # the inviter is logged in and waiting
    t0=$(now_ms)
    tf dave accept "$group" >/dev/null
    tf_bg dave "$dir/invitee.follow" recv --follow --json
    if ! wait_for "$dir/invitee.follow" "group key ready" 30; then
        echo "public-key run $run: RN1 did not arrive: $(cat "$dir"/*.follow)" >&2
        exit 1
    fi
    t1=$(now_ms)
    kill -TERM "$TF_PID" "$following" 2>/dev/null || true
    wait "$TF_PID" "$following" 2>/dev/null || true
    echo "public-key - - public-key $((t1 - t0))"
done
