#!/usr/bin/env bash
# The NAT lab's ICE-level cases (docs/direct-route.md, "The NAT lab"): two ice_peer ends in
# namespaces behind NAT routers, each case asserting the pair libnice selected.
#   same LAN -> host; cone <-> cone -> server-reflexive; symmetric <-> symmetric and
#   cone <-> symmetric -> relayed through coturn; coturn stopped, both symmetric -> a failure
#   within the bound that names what was tried.
# First it checks that the routers really are what they claim (a STUN probe to two addresses).
# Needs root; skipped (exit 77) otherwise. Usage: ice_cases_test.sh ICE_PEER
set -euo pipefail

PEER=$1
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lab.sh"
source "$HERE/../../scripts/lib/coturn.sh"
lab_test_start

lab_standard 0
lab_coturn_start

# --- the routers' mapping behaviour ---------------------------------------------------------
probe() { lab_in "$1" "$PEER" stun-probe 203.0.113.1:3478 203.0.113.2:3478 | awk -F: '{print $2}' | sort -u | wc -l; }
[ "$(probe cone1h1)" = 1 ] && pass "cone router: one outside port for two destinations" \
    || fail "cone router maps one socket to several ports"
[ "$(probe sym1h1)" = 2 ] && pass "symmetric router: a new outside port per destination" \
    || fail "symmetric router keeps the port (not symmetric)"

# --- ICE cases ------------------------------------------------------------------------------
# run_case NAME NS_A NS_B EXPECT [ice_peer options]: both ends at once; each must see EXPECT.
run_case() {
    local name=$1 dir="$WORK/$1" start=$SECONDS
    if lab_ice_pair "$PEER" "$dir" "$2" "$3" "$4" "${@:5}"; then
        pass "$name: $4 ($(cat "$dir/a.json") in $((SECONDS - start)) s)"
    else
        fail "$name: expected $4; controlling: $(cat "$dir/a.json" "$dir/a.err"); controlled: $(cat "$dir/b.json" "$dir/b.err")"
    fi
}

run_case lan lanh1 lanh2 host "${SERVERS[@]}"
run_case cone-cone cone1h1 cone2h1 server-reflexive "${SERVERS[@]}"
run_case symmetric-symmetric sym1h1 sym2h1 relayed "${SERVERS[@]}"
run_case cone-symmetric cone1h1 sym1h1 relayed "${SERVERS[@]}"

# Both pairs through coturn's relay addresses, not a direct path: its log shows the allocations.
grep -q "ALLOCATE processed, success" "$WORK/coturn/turnserver.log" && pass "coturn logged the allocations" \
    || fail "coturn's log shows no successful allocation"

coturn_stop "$WORK/coturn"
run_case "symmetric-symmetric, coturn stopped" sym1h1 sym2h1 failure "${SERVERS[@]}"
why=$(cat "$WORK/symmetric-symmetric, coturn stopped/a.json")
for part in "no ICE candidate pair worked" "local candidates: host 1, server-reflexive 0, relayed 0" \
    "the TURN server gave no allocation"; do
    grep -qF "$part" <<<"$why" && pass "failure names: $part" || fail "failure does not name '$part': $why"
done
waited=$(sed -n 's/.*"waited_ms":\([0-9]*\).*/\1/p' <<<"$why")
[ -n "$waited" ] && [ "$waited" -le 11000 ] && pass "failure within the 10 s bound ($waited ms)" \
    || fail "failure took ${waited:-?} ms"

# Nothing of this run is left behind (the EXIT trap runs lab_down again, harmlessly).
lab_down
left=$(ip netns list | awk '{print $1}' | grep -c "^$LAB-" || true)
[ "$left" = 0 ] && pass "every namespace of the run removed" || fail "$left namespaces left"

lab_test_end
echo "all NAT lab ICE cases passed"
