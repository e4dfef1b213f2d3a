#!/usr/bin/env bash
# The NAT lab's delay element (nfq_delay, docs/direct-route.md "Delay"): with RTT R the round
# trip between a site's host and a server is R/2 (each router's internet link holds every
# packet R/4 each way). Measured with a UDP echo (the namespaces have no ping): without delay,
# then at R = 40 and R = 80. The LAN stays undelayed.
# Needs root; skipped (exit 77) otherwise. Usage: delay_test.sh NFQ_DELAY
set -euo pipefail

export LAB_DELAYER=$1
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lab.sh"
source "$HERE/../../scripts/lib/coturn.sh"
lab_test_start

# measure RTT: WAN and LAN, "min median max" of the site <-> server and LAN round trips in a fresh lab with RTT.
measure() {
    local rtt=$1
    lab_down
    lab_up "$rtt"
    lab_site lan 5 cone 2
    lab_in inet python3 "$HERE/udp_rtt.py" echo 203.0.113.1 9000 >"$WORK/echo.out" 2>&1 &
    lab_in lanh2 python3 "$HERE/udp_rtt.py" echo 10.5.0.3 9000 >"$WORK/echo-lan.out" 2>&1 &
    local f
    for f in "$WORK/echo.out" "$WORK/echo-lan.out"; do
        for _ in $(seq 1 100); do grep -q ready "$f" 2>/dev/null && break; sleep 0.05; done
    done
    WAN=$(lab_in lanh1 python3 "$HERE/udp_rtt.py" probe 203.0.113.1 9000 20)
    LAN=$(lab_in lanh1 python3 "$HERE/udp_rtt.py" probe 10.5.0.3 9000 20)
}
within() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

measure 0
base=$(awk '{print $2}' <<<"$WAN")
within "$base" 0 5 && pass "no delay: site <-> server RTT $WAN ms (min median max)" || fail "no delay: $WAN ms"
for rtt in 40 80; do
    measure "$rtt"
    median=$(awk '{print $2}' <<<"$WAN")
    lo=$((rtt / 2)) hi=$((rtt / 2 + 5))
    within "$median" "$lo" "$hi" && pass "RTT $rtt: site <-> server RTT $WAN ms (expected $lo)" \
        || fail "RTT $rtt: site <-> server median $median ms, expected $lo..$hi ($WAN)"
    min=$(awk '{print $1}' <<<"$WAN")
    within "$min" "$lo" "$hi" && pass "RTT $rtt: no packet comes early (min $min ms)" || fail "RTT $rtt: min $min ms"
    lan=$(awk '{print $2}' <<<"$LAN")
    within "$lan" 0 5 && pass "RTT $rtt: the LAN stays undelayed ($LAN ms)" || fail "RTT $rtt: LAN $LAN ms"
done

lab_down
left=$(ip netns list | awk '{print $1}' | grep -c "^$LAB-" || true)
[ "$left" = 0 ] && pass "every namespace of the run removed" || fail "$left namespaces left"
lab_test_end
echo "the delay element gives the delay"
