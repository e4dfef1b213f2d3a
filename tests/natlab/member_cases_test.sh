#!/usr/bin/env bash
# The NAT lab's member-level cases (docs/direct-route.md, "The NAT lab"): coturn, the GMS and the
# relay in the internet namespace; real `twofold` members in the sites. In each case the inviter
# runs `invite GROUP ACCOUNT --direct`, the invitee `accept GROUP --code CODE`, and the test
# asserts the pair libnice selected (both ends' --json outcome), that RN1 arrived over the
# channel and that both members hold the same RN1 and GK:
#   same LAN -> host; cone <-> cone -> server-reflexive, no TURN relaying used;
#   symmetric <-> symmetric and cone <-> symmetric -> relayed through coturn;
#   coturn stopped, both symmetric -> the failure naming what was tried; --direct=prefer falls
#   back to the public-key route and says so.
# Then a capture of everything in the internet namespace and every file of coturn, the GMS and
# the relay are searched for each RN1 (raw and hex) and each code: none may hold one.
# Needs root; skipped (exit 77) otherwise. Usage: member_cases_test.sh BIN_DIR
set -euo pipefail

BIN=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lab.sh"
source "$HERE/../../scripts/lib/coturn.sh"
source "$HERE/member_lab.sh"
lab_test_start

lab_standard 0
# Everything crossing the internet namespace, on every port of its bridge.
# (ip netns exec directly: $! is then tcpdump itself, which SIGINT must reach to flush and end.)
ip netns exec "$LAB-inet" tcpdump -i any -U -s 0 -w "$WORK/inet.pcap" 2>"$WORK/tcpdump.err" &
capture=$!
_natlab_wait_line "$WORK/tcpdump.err" "listening on"
natlab_servers_start

natlab_member alice lanh1
natlab_member bob lanh2
natlab_member carol cone1h1
natlab_member dave cone2h1
natlab_member erin sym1h1
natlab_member frank sym2h1
natlab_member gina sym2h1
: >"$WORK/codes"
: >"$WORK/rn1s"

# coturn's "peer usage" lines since line FROM of its log: the bytes it relayed between members'
# allocations and their peers (connectivity checks and, on a relayed pair, the channel).
relayed_bytes() {
    tail -n +"$1" "$WORK/coturn/turnserver.log" |
        sed -n 's/.*peer usage:.*rb=\([0-9]*\), sp=[0-9]*, sb=\([0-9]*\).*/\1 \2/p' | awk '{s += $1 + $2} END {print s + 0}'
}
# "stage +ms, ..." from a --json run's direct progress lines.
steps_of() {
    python3 - "$1" <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '"at_ms"' in l]
print(", ".join("%s +%d" % (s["stage"], s["at_ms"] - steps[0]["at_ms"]) for s in steps))
PY
}
log_lines() { wc -l <"$WORK/coturn/turnserver.log"; }

# direct_case NAME INVITER INVITEE EXPECT: a fresh group NAME; the direct invitation through the lab.
direct_case() {
    local name=$1 inviter=$2 invitee=$3 expect=$4 dir="$WORK/case-$1" start=$SECONDS
    mkdir -p "$dir"
    tf "$inviter" group create "$name" >/dev/null
    tf "$inviter" invite "$name" "$invitee" --direct --wait 60 --json >"$dir/inviter.json" 2>"$dir/inviter.err" &
    local inviting=$!
    local code
    code=$(code_of "$dir/inviter.json") || { fail "$name: no code"; wait "$inviting" || true; return; }
    echo "$code" >>"$WORK/codes"
    local status=0
    tf "$invitee" accept "$name" --code "$code" --json >"$dir/invitee.json" 2>"$dir/invitee.err" || status=$?
    local istatus=0
    wait "$inviting" || istatus=$?
    if [ "$status" != 0 ] || [ "$istatus" != 0 ]; then
        fail "$name: accept exited $status, invite $istatus: $(cat "$dir"/*.err)"
        return
    fi
    echo "     the invitee's steps (ms after its first): $(steps_of "$dir/invitee.json")"
    local pa pb
    pa=$(json_field "$dir/inviter.json" invited_direct pair)
    pb=$(json_field "$dir/invitee.json" accepted_direct pair)
    [ "$pa" = "$expect" ] && [ "$pb" = "$expect" ] && pass "$name: both ends on a $expect pair ($((SECONDS - start)) s; $(json_field "$dir/invitee.json" connected detail))" \
        || fail "$name: expected $expect, the inviter saw '$pa', the invitee '$pb'"
    grep -q '"stage":"rn1 received"' "$dir/invitee.json" && [ "$(json_field "$dir/invitee.json" accepted_direct joined)" = True ] \
        && pass "$name: RN1 arrived over the channel; the invitee's group key is ready" \
        || fail "$name: RN1 did not arrive: $(cat "$dir/invitee.json")"
    local ka kb
    ka=$(tf "$inviter" keys show "$name" --json)
    kb=$(tf "$invitee" keys show "$name" --json)
    [ -n "$ka" ] && [ "$ka" = "$kb" ] && pass "$name: both members hold the same RN1 and GK" \
        || fail "$name: keys differ: $inviter $ka, $invitee $kb"
    python3 -c 'import json,sys; print(json.loads(sys.argv[1])["rn1"])' "$ka" >>"$WORK/rn1s"
}

direct_case lan alice bob host

from=$(log_lines)
direct_case cone-cone carol dave server-reflexive
cone_relayed=$(relayed_bytes "$from")

from=$(log_lines)
direct_case symmetric-symmetric erin frank relayed
sym_relayed=$(relayed_bytes "$from")
direct_case cone-symmetric carol erin relayed

# A server-reflexive pair means the channel went straight between the NATs: coturn relayed at
# most the connectivity checks of the relayed candidates, far less than a relayed channel.
[ "$sym_relayed" -gt 2000 ] && [ "$cone_relayed" -lt $((sym_relayed / 4)) ] \
    && pass "cone-cone used no TURN relaying: coturn relayed $cone_relayed bytes for it, $sym_relayed for symmetric-symmetric" \
    || fail "coturn relayed $cone_relayed bytes for cone-cone, $sym_relayed for symmetric-symmetric"

# --- coturn stopped, both symmetric ----------------------------------------------------------
coturn_stop "$WORK/coturn"
dir="$WORK/case-no-turn" && mkdir -p "$dir"
tf erin group create no-turn >/dev/null
tf erin invite no-turn gina --direct --wait 60 --connect-timeout 10 --json >"$dir/inviter.json" 2>"$dir/inviter.err" &
inviting=$!
code=$(code_of "$dir/inviter.json")
echo "$code" >>"$WORK/codes"
status=0
tf gina accept no-turn --code "$code" --json >"$dir/invitee.json" 2>"$dir/invitee.err" || status=$?
istatus=0
wait "$inviting" || istatus=$?
why=$(cat "$dir/inviter.err")
[ "$istatus" = 1 ] && [ "$status" = 1 ] && pass "no TURN, both symmetric: both ends fail" \
    || fail "no TURN: invite exited $istatus, accept $status: $(cat "$dir"/*)"
for part in "no ICE candidate pair worked" "server-reflexive" "relayed 0" "the TURN server gave no allocation" "the code is void"; do
    grep -qF "$part" <<<"$why" && pass "the inviter's failure names: $part" || fail "the failure does not name '$part': $why"
done

tf erin group create fallback >/dev/null
tf erin invite fallback gina --direct=prefer --wait 60 --connect-timeout 10 --json >"$dir/prefer.json" 2>"$dir/prefer.err" &
inviting=$!
code=$(code_of "$dir/prefer.json")
echo "$code" >>"$WORK/codes"
tf gina accept fallback --code "$code" --json >"$dir/prefer-invitee.json" 2>&1 || true
istatus=0
wait "$inviting" || istatus=$?
[ "$istatus" = 0 ] && grep -q '"stage":"fallback"' "$dir/prefer.json" && grep -q "public-key route" "$dir/prefer.json" \
    && grep -q '"event":"invited"' "$dir/prefer.json" \
    && pass "--direct=prefer falls back to the public-key route and says so" \
    || fail "--direct=prefer: exit $istatus: $(cat "$dir/prefer.json" "$dir/prefer.err")"
# ... and the public-key route completes: gina accepts, erin hands over RN1, both hold one GK.
tf gina accept fallback >/dev/null && tf erin sync >/dev/null && tf gina sync >/dev/null || true
ka=$(tf erin keys show fallback --json 2>&1 || true)
kb=$(tf gina keys show fallback --json 2>&1 || true)
[[ $ka == *'"gk"'* && $ka == "$kb" ]] && pass "after the fallback both members hold the same GK" \
    || fail "after the fallback: erin $ka, gina $kb"
python3 -c 'import json,sys; print(json.loads(sys.argv[1])["rn1"])' "$ka" >>"$WORK/rn1s" 2>/dev/null || true

# --- what the servers and the wire hold ------------------------------------------------------
kill -INT "$capture" 2>/dev/null || true
wait "$capture" 2>/dev/null || true
held=$(python3 - "$WORK/rn1s" "$WORK/codes" "$WORK/inet.pcap" "$WORK/gms" "$WORK/relay" "$WORK/coturn" "$WORK"/gms.out "$WORK"/relay.out <<'PY'
import os, sys
rn1s = [l.strip() for l in open(sys.argv[1]) if l.strip()]
codes = [l.strip() for l in open(sys.argv[2]) if l.strip()]
needles = []
for r in rn1s:
    needles += [("RN1", bytes.fromhex(r)), ("RN1 hex", r.encode()), ("RN1 HEX", r.upper().encode())]
for c in codes:
    needles += [("code", c.encode()), ("code without dashes", c.replace("-", "").encode())]
files = []
for p in sys.argv[3:]:
    if os.path.isdir(p):
        files += [os.path.join(d, f) for d, _, fs in os.walk(p) for f in fs]
    elif os.path.exists(p):
        files.append(p)
found = []
for f in files:
    data = open(f, "rb").read()
    for what, n in needles:
        if n in data:
            found.append(f"{what} in {f}")
print(f"{len(files)} files, {len(rn1s)} RN1s, {len(codes)} codes; " + ("; ".join(found) if found else "none found"))
PY
)
[ "${#held}" -gt 0 ] && [[ $held == *"none found" && $(wc -l <"$WORK/rn1s") -ge 5 ]] \
    && pass "the capture and the servers' files hold neither RN1 nor a code ($held)" \
    || fail "secrets found: $held"
[ "$(stat -c %s "$WORK/inet.pcap")" -gt 10000 ] && pass "the capture holds the run ($(stat -c %s "$WORK/inet.pcap") bytes)" \
    || fail "the capture is nearly empty"

lab_down
left=$(ip netns list | awk '{print $1}' | grep -c "^$LAB-" || true)
[ "$left" = 0 ] && pass "every namespace of the run removed" || fail "$left namespaces left"

lab_test_end
echo "all NAT lab member cases passed"
