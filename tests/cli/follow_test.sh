#!/usr/bin/env bash
# The continuous modes: `twofold recv --follow` shows messages as they arrive and stops cleanly on
# SIGINT; `twofold chat` sends the lines typed and ends at end of input. Real servers on loopback.
set -euo pipefail
BIN=$(cd "$1" && pwd)
source "$(dirname "$0")/../../scripts/lib/deployment.sh"
FOLLOWER=""
test_cleanup() { [[ -z $FOLLOWER ]] || { kill "$FOLLOWER" 2>/dev/null; wait "$FOLLOWER" 2>/dev/null; } || true; }
deployment_test_start twofold-follow
source "$(dirname "$0")/checks.sh"

start_servers
init_member alice >/dev/null
init_member bob >/dev/null
tf alice group create room >/dev/null
tf alice invite room bob
tf bob accept alice
tf alice sync
tf bob sync

# bob follows; alice sends twice with one-shot commands, then once through chat.
# The binary itself in the background (not the tf function, whose subshell would take the signal).
TWOFOLD_PASSPHRASE="passphrase of bob" "$BIN/twofold" recv room --follow --json --home "$WORK/bob" \
    >"$WORK/bob.jsonl" 2>"$WORK/bob.err" &
FOLLOWER=$!
sleep 2
tf alice send room "first"
tf alice send room "second"
printf 'typed in chat\n' | tf alice chat room >"$WORK/alice-chat.out"
for _ in $(seq 1 100); do
    grep -q "typed in chat" "$WORK/bob.jsonl" 2>/dev/null && break
    sleep 0.1
done
kill -INT "$FOLLOWER"
status=0
wait "$FOLLOWER" || status=$?
FOLLOWER=""

check "follow stops with status 0 on SIGINT" '[[ $status -eq 0 ]]'
check "follow showed both one-shot messages in order" \
    '[[ $(grep -o "\"text\":\"[a-z ]*\"" "$WORK/bob.jsonl" | grep -v joined | tr "\n" " ") == *first*second*typed* ]]'
check "follow printed JSON, one object per line" 'python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$WORK/bob.jsonl"'
check "chat sent the typed line and exited at end of input" 'grep -q "typed in chat" "$WORK/bob.jsonl"'
check "nothing on follow's stderr" '[[ ! -s $WORK/bob.err ]]'
checks_done
