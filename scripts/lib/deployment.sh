# A local deployment for scripts (make demo, the CLI tests): a GMS and a relay on loopback ports
# with their data under $WORK, members driven through the twofold CLI. Source it after setting
# BIN (the programs' directory) and WORK (a fresh directory); call start_servers, then tf.
# deployment_cleanup stops every process started here.

DEPLOYMENT_PIDS=()

deployment_cleanup() {
    for pid in "${DEPLOYMENT_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${DEPLOYMENT_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    DEPLOYMENT_PIDS=()
}

# deployment_test_start NAME: what a CLI test begins with. WORK becomes a fresh
# /tmp/NAME.XXXXXX, and on exit, also an interrupted one, the test's own `test_cleanup` (if it
# defines one) runs, then deployment_cleanup, and WORK is removed.
deployment_test_start() {
    WORK=$(mktemp -d "/tmp/$1.XXXXXX")
    trap 'if declare -F test_cleanup >/dev/null; then test_cleanup; fi; deployment_cleanup; rm -rf "$WORK"' EXIT
    trap "exit 143" INT TERM
}

# A free loopback port: bind port 0 and read what the kernel chose.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits for a server's "listening" line and prints the line.
wait_listening() {
    local log=$1
    for _ in $(seq 1 100); do
        if grep -q "listening on" "$log" 2>/dev/null; then grep -m1 "listening on" "$log"; return 0; fi
        sleep 0.1
    done
    echo "server did not start; its output:" >&2
    cat "$log" >&2
    return 1
}

# start_servers [GMS OPTIONS...]: sets GMS_ADDR, GMS_FP, GMS_KEY, RELAY_ADDR, RELAY_FP, and the
# two listening lines GMS_LINE and RELAY_LINE.
start_servers() {
    GMS_ADDR=127.0.0.1:$(free_port)
    RELAY_ADDR=127.0.0.1:$(free_port)
    "$BIN/twofold-gms" --data "$WORK/gms" --listen "$GMS_ADDR" --password-hashing minimum "$@" \
        >"$WORK/gms.out" 2>&1 &
    DEPLOYMENT_PIDS+=($!)
    GMS_LINE=$(wait_listening "$WORK/gms.out")
    GMS_FP=$(sed -n 's/.*tls-fingerprint \(sha256:[0-9a-f]*\).*/\1/p' <<<"$GMS_LINE")
    GMS_KEY=$(sed -n 's/.*signing-key \([0-9a-f]*\).*/\1/p' <<<"$GMS_LINE")
    "$BIN/twofold-relay" --data "$WORK/relay" --listen "$RELAY_ADDR" --gms-key "$GMS_KEY" \
        >"$WORK/relay.out" 2>&1 &
    DEPLOYMENT_PIDS+=($!)
    RELAY_LINE=$(wait_listening "$WORK/relay.out")
    RELAY_FP=$(sed -n 's/.*tls-fingerprint \(sha256:[0-9a-f]*\).*/\1/p' <<<"$RELAY_LINE")
}

# tf NAME ARGS...: the twofold CLI as member NAME, its home and passphrase its own.
tf() {
    local who=$1
    shift
    TWOFOLD_PASSPHRASE="passphrase of $who" "$BIN/twofold" "$@" --home "$WORK/$who"
}

# init_member NAME: a new identity and store, registered with the GMS.
init_member() {
    TWOFOLD_PASSWORD="password of $1" tf "$1" init --name "$1" --gms "$GMS_ADDR" --gms-fingerprint "$GMS_FP" \
        --gms-key "$GMS_KEY" --relay "$RELAY_ADDR" --relay-fingerprint "$RELAY_FP" --kdf minimum
}
