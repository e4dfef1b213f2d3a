#!/usr/bin/env bash
# The direct route from the CLI (issue 13): `invite --direct` prints a code and waits, `accept
# --code` joins with it, each step printed as it happens; the pair on loopback is a host pair.
# A wrong code is refused in the words the issue gives; Ctrl-C voids the code. Real servers on
# loopback; the ICE agents gather 127.0.0.1 only (--loopback-only).
set -euo pipefail
BIN=$(cd "$1" && pwd)
source "$(dirname "$0")/../../scripts/lib/deployment.sh"
deployment_test_start twofold-direct-cli
source "$(dirname "$0")/checks.sh"

start_servers
for who in alice bob carol; do init_member "$who" >/dev/null; done
tf alice group create lantern >/dev/null

# The code line, once the inviter has printed it.
code_of() {
    for _ in $(seq 1 200); do
        local c
        c=$(sed -n 's/^code \([0-9]*-[a-z]*-[a-z]*\) .*/\1/p' "$1")
        if [[ -n $c ]]; then echo "$c"; return 0; fi
        sleep 0.05
    done
    return 1
}

tf alice invite lantern bob --direct --wait 60 --loopback-only >"$WORK/invite.out" 2>&1 &
DEPLOYMENT_PIDS+=($!)
inviter=$!
code=$(code_of "$WORK/invite.out")
check "invite --direct prints a short code and how long it waits" \
    'grep -q "^code [0-9]*-[a-z]*-[a-z]* — tell it to bob .*waiting up to 60 s (Ctrl-C cancels and voids the code)" "$WORK/invite.out"'

wrong="$(( ${code%%-*} % 999 + 1 ))-${code#*-}"
status=0
err=$(tf bob accept alice --code "$wrong" --loopback-only 2>&1 >/dev/null) || status=$?
check "a wrong code fails with 'invitation code does not match'" \
    '[[ $status -eq 1 && $err == *"invitation code does not match"* ]]'
check "the wrong code is never echoed" '[[ $err != *"$wrong"* ]]'

out=$(tf bob accept alice --code "$code" --loopback-only)
check "accept --code shows its steps" \
    '[[ $out == *"direct: gathering"* && $out == *"direct: checking"* && $out == *"direct: connected — host"* && $out == *"direct: handshake"* && $out == *"direct: rn1 received"* ]]'
check "accept --code joins, naming the host pair" \
    '[[ $out == *"joined «lantern» from alice by the direct route (host pair): RN1 received over the channel; group key ready"* ]]'
wait "$inviter"
check "the inviter's steps and outcome" \
    'grep -q "direct: code mismatch" "$WORK/invite.out" && grep -q "direct: rn1 sent" "$WORK/invite.out" && grep -q "bob joined «lantern» by the direct route (host pair)" "$WORK/invite.out"'
ka=$(tf alice keys show lantern --json)
kb=$(tf bob keys show lantern --json)
check "both derive the same GK" '[[ $ka == "$kb" ]]'
check "neither server's files hold the code" '! grep -rqa -- "$code" "$WORK/gms" "$WORK/relay"'

# Ctrl-C while waiting: the code is void, and said so.
# exec: $! is the twofold process itself, which the signal must reach.
(exec env TWOFOLD_PASSPHRASE="passphrase of alice" "$BIN/twofold" invite lantern carol --direct --wait 60 \
    --loopback-only --home "$WORK/alice" >"$WORK/cancel.out" 2>&1) &
DEPLOYMENT_PIDS+=($!)
waiting=$!
code_of "$WORK/cancel.out" >/dev/null
kill -INT "$waiting"
status=0
wait "$waiting" || status=$?
check "Ctrl-C ends the wait and voids the code" \
    '[[ $status -eq 1 ]] && grep -q "cancelled; the code is void" "$WORK/cancel.out"'

status=0
err=$(tf carol accept alice --code "not-a-code" --loopback-only 2>&1 >/dev/null) || status=$?
check "a malformed code is refused before any server is asked" '[[ $status -eq 1 && $err == *"invitation code"* ]]'
checks_done
