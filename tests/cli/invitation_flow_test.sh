#!/usr/bin/env bash
# The CLI as people expect it (issue 12 §2): global options before the subcommand, the invitee
# sees the group's name, `accept` takes that name (and says so when it is ambiguous), and each
# step prints what happened and what comes next, as text or --json. Real servers on loopback.
set -euo pipefail
BIN=$(cd "$1" && pwd)
source "$(dirname "$0")/../../scripts/lib/deployment.sh"
deployment_test_start twofold-invite-flow
source "$(dirname "$0")/checks.sh"

start_servers
# Global options before the subcommand, as with git -C.
TWOFOLD_PASSWORD="password of alice" TWOFOLD_PASSPHRASE="passphrase of alice" "$BIN/twofold" \
    --home "$WORK/alice" init --name alice --gms "$GMS_ADDR" --gms-fingerprint "$GMS_FP" --gms-key "$GMS_KEY" \
    --relay "$RELAY_ADDR" --relay-fingerprint "$RELAY_FP" --kdf minimum >"$WORK/init.out"
check "--home before the subcommand: init registers" 'grep -q "^registered alice" "$WORK/init.out"'
init_member bob >/dev/null
init_member carol >/dev/null
bob_json() { TWOFOLD_PASSPHRASE="passphrase of bob" "$BIN/twofold" --json --home "$WORK/bob" "$@"; }

tf alice group create zanzibar >/dev/null
out=$(tf alice invite zanzibar bob --may-invite)
check "invite says what happened and what comes next" \
    '[[ $out == "invited bob to «zanzibar» (may invite); bob can accept now; you will hand over RN1 at your next sync"* ]]'
check "the relay's files never hold the group's name in the clear" '! grep -rqa "zanzibar" "$WORK/relay"'

out=$(bob_json invitations)
check "invitations --json (global --json) carries the sealed group name" \
    '[[ $(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d[\"group\"], d[\"inviter\"], d[\"rights\"][\"may_invite\"])" "$out") == "zanzibar alice True" ]]'
out=$(tf bob invitations)
check "invitations names inviter, group and rights" '[[ $out == "alice invites you to «zanzibar» (may invite)"* ]]'

# carol makes a group of the same name and invites bob too: "zanzibar" is now ambiguous.
tf carol group create zanzibar >/dev/null
tf carol invite zanzibar bob >/dev/null
status=0
err=$(tf bob accept zanzibar 2>&1 >/dev/null) || status=$?
check "accept of an ambiguous name fails with one line listing both" \
    '[[ $status -eq 1 && $(wc -l <<<"$err") -eq 1 && $err == *"2 invitations match zanzibar"* && $err == *"from alice"* && $err == *"from carol"* ]]'

alice_id=$(bob_json invitations | python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    if d["inviter"] == "alice": print(d["group_id"][:8])')
out=$(tf bob accept "$alice_id")
check "accept by id prefix names group and inviter" \
    '[[ $out == "accepted alice'"'"'s invitation to «zanzibar»; alice hands over RN1 at their next sync"* ]]'
out=$(tf bob groups)
check "the invitee's groups name the group and the next step" \
    '[[ $out == *"zanzibar  id "*"awaiting-keys (the inviter'"'"'s next sync"* ]]'

out=$(tf alice sync)
check "the inviter's sync reports the hand-over and a summary" \
    '[[ $out == *"bob accepted: RN1 sent, GMS notified"* && $out == *"synced: "* ]]'
out=$(tf alice send zanzibar "hello bob" --json)
check "send --json says where it went" \
    '[[ $(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d[\"event\"], d[\"group\"])" "$out") == "sent zanzibar" ]]'
out=$(tf bob recv zanzibar)  # his first command since the hand-over: joins, then reads
check "bob reads alice's message" '[[ $out == *"alice: hello bob"* ]]'
check "after the acceptance, recv no longer suggests accepting" '[[ $out != *"twofold accept"* ]]'

out=$(tf alice rotate-rn1 zanzibar)
check "rotate-rn1 names the generation" '[[ $out == "RN1 of «zanzibar» rotated to generation 2"* ]]'
out=$(tf alice remove zanzibar bob)
check "remove names the new membership epoch" '[[ $out == "removed bob from «zanzibar»: membership epoch "* ]]'
out=$(tf carol leave zanzibar --json)
check "leave --json" '[[ $out == *"\"event\":\"left\""* ]]'

checks_done
