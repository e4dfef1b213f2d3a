#!/usr/bin/env bash
# `twofold status` with both servers up and with one down, and init's secrets: what is missing
# is named, the password policy is checked before the passphrase is asked for, and a failed init
# leaves no half-made home. Real servers on loopback.
set -euo pipefail
BIN=$(cd "$1" && pwd)
source "$(dirname "$0")/../../scripts/lib/deployment.sh"
deployment_test_start twofold-status
source "$(dirname "$0")/checks.sh"

start_servers
init_args=(--name dora --gms "$GMS_ADDR" --gms-fingerprint "$GMS_FP" --gms-key "$GMS_KEY" --relay "$RELAY_ADDR"
    --relay-fingerprint "$RELAY_FP" --kdf minimum)

# No password anywhere, no terminal: the error names both ways to give it.
status=0
err=$(env -u TWOFOLD_PASSWORD -u TWOFOLD_PASSPHRASE "$BIN/twofold" init --home "$WORK/dora" "${init_args[@]}" \
    2>&1 </dev/null) || status=$?
check "a missing password names --password-file and TWOFOLD_PASSWORD" \
    '[[ $status -eq 1 && $err == "twofold: GMS password for dora needed: give --password-file FILE or set TWOFOLD_PASSWORD"* ]]'
# A too-short password is refused before the passphrase is asked for (none is given here).
err=$(env -u TWOFOLD_PASSPHRASE TWOFOLD_PASSWORD=short "$BIN/twofold" init --home "$WORK/dora" "${init_args[@]}" \
    2>&1 </dev/null) || true
check "the password policy is checked before the passphrase" '[[ $err == *"at least 8 bytes"* ]]'
# The GMS refuses the account (taken): nothing is left in the home init made.
init_member alice >/dev/null
err=$(TWOFOLD_PASSWORD="another password" TWOFOLD_PASSPHRASE=p "$BIN/twofold" init --home "$WORK/alice2" \
    --name alice "${init_args[@]:2}" 2>&1) || true
check "a failed init leaves no home behind" '[[ -n $err && ! -e $WORK/alice2 ]]'

tf alice group create zanzibar >/dev/null
out=$(tf alice status)
check "status: both servers reachable with their pinned fingerprints" \
    '[[ $out == *"gms  $GMS_ADDR  $GMS_FP  reachable"* && $out == *"relay  $RELAY_ADDR  $RELAY_FP  reachable"* ]]'
check "status: the group with its epoch" '[[ $out == *"group «zanzibar»  active  epoch 1."* ]]'
check "status: deferred envelopes counted" '[[ $out == *"deferred envelopes 0"* ]]'

kill "${DEPLOYMENT_PIDS[1]}" && wait "${DEPLOYMENT_PIDS[1]}" 2>/dev/null || true  # the relay goes down
out=$(tf alice status --json)
check "status --json: the relay unreachable, with the reason; the GMS still reachable" \
    '[[ $(python3 -c "
import json, sys
d = json.loads(sys.argv[1])
s = {x[\"role\"]: x for x in d[\"servers\"]}
print(s[\"gms\"][\"reachable\"], s[\"relay\"][\"reachable\"], bool(s[\"relay\"][\"error\"]), d[\"groups\"][0][\"name\"])
" "$out") == "True False True zanzibar" ]]'

checks_done
