# The NAT lab with real twofold members (docs/direct-route.md, "The NAT lab"): coturn, the GMS
# and the relay in the internet namespace (203.0.113.1), one member per host namespace. Sourced
# after lab.sh, scripts/lib/coturn.sh and lab_run_setup, with BIN (the programs' directory).
#
#   natlab_servers_start   coturn (lab_coturn_start), then the GMS handing out TURN credentials
#                          for it, then the relay; every process dies with lab_down
#   natlab_member NAME NS  a member NAME in host namespace NS, initialised and registered
#   tf NAME ARGS...        the twofold CLI as NAME, inside its namespace
#   code_of FILE           the code an `invite --direct --json` printed into FILE

declare -A MEMBER_NS=()

_natlab_wait_line() {  # FILE TEXT: up to 10 s
    for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    echo "the NAT lab: no '$2' in $1:" >&2
    cat "$1" >&2
    return 1
}

natlab_servers_start() {
    lab_coturn_start
    # The GMS's identity is made first: the relay checks statements with its key.
    "$BIN/twofold-gms" --data "$WORK/gms" info >"$WORK/gms.info"
    GMS_FP=$(sed -n 's/^tls-fingerprint //p' "$WORK/gms.info")
    GMS_KEY=$(sed -n 's/^signing-key //p' "$WORK/gms.info")
    lab_in inet "$BIN/twofold-gms" --data "$WORK/gms" --listen 203.0.113.1:7400 --password-hashing minimum \
        --turn-secret-file "$WORK/turn.secret" --turn-server 203.0.113.1:3478 --stun-server 203.0.113.1:3478 \
        >"$WORK/gms.out" 2>&1 &
    _natlab_wait_line "$WORK/gms.out" "listening on" || return 1
    lab_in inet "$BIN/twofold-relay" --data "$WORK/relay" --listen 203.0.113.1:7401 --gms-key "$GMS_KEY" \
        >"$WORK/relay.out" 2>&1 &
    _natlab_wait_line "$WORK/relay.out" "listening on" || return 1
    RELAY_FP=$(sed -n 's/.*tls-fingerprint \(sha256:[0-9a-f]*\).*/\1/p' "$WORK/relay.out" | head -1)
}

tf() {
    local who=$1
    shift
    lab_in "${MEMBER_NS[$who]}" env TWOFOLD_PASSPHRASE="passphrase of $who" "$BIN/twofold" "$@" --home "$WORK/$who"
}

natlab_member() {
    MEMBER_NS[$1]=$2
    TWOFOLD_PASSWORD="password of $1" tf "$1" init --name "$1" --gms 203.0.113.1:7400 --gms-fingerprint "$GMS_FP" \
        --gms-key "$GMS_KEY" --relay 203.0.113.1:7401 --relay-fingerprint "$RELAY_FP" --kdf minimum >/dev/null
}

code_of() {
    for _ in $(seq 1 400); do
        local c
        c=$(sed -n 's/.*"stage":"code".*"code":"\([^"]*\)".*/\1/p;s/.*"code":"\([^"]*\)".*"stage":"code".*/\1/p' "$1" | head -1)
        if [ -n "$c" ]; then echo "$c"; return 0; fi
        sleep 0.05
    done
    echo "the NAT lab: no code in $1: $(cat "$1")" >&2
    return 1
}

# json_field FILE EVENT FIELD: FIELD of the first JSON line in FILE whose event (or stage) is EVENT.
json_field() {
    python3 - "$@" <<'PY'
import json, sys
path, event, field = sys.argv[1:4]
for line in open(path):
    try:
        j = json.loads(line)
    except ValueError:
        continue
    if j.get("event") == event or j.get("stage") == event:
        print(j.get(field, ""))
        break
PY
}
