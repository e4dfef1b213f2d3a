# The GMS and relay in the LAN lab's ${LAB}gms namespace and four members: alice, bob and carol
# on the LAN, dave outside it. Sourced after lan_lab.sh, with BIN (the programs) and WORK (a
# fresh directory) set; lab_down stops every process started here with its namespace.
declare -A NS=([alice]=m1 [bob]=m2 [carol]=m3 [dave]=out)
declare -A SERVER=([alice]=192.0.2.1 [bob]=192.0.2.1 [carol]=192.0.2.1 [dave]=198.51.100.1)

wait_for_line() { for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# lan_start_servers [GMS OPTIONS...]: the relay first (the GMS publishes rekeys to it), then the
# GMS, multicast on the LAN (eth0). Sets GMS_FP, GMS_KEY, RELAY_FP.
lan_start_servers() {
    # The relay checks statements with the GMS's key: the GMS's identity is made before either runs.
    "$BIN/twofold-gms" --data "$WORK/gms" info >"$WORK/gms.info"
    GMS_FP=$(sed -n 's/^tls-fingerprint //p' "$WORK/gms.info")
    GMS_KEY=$(sed -n 's/^signing-key //p' "$WORK/gms.info")
    lan_start_relay
    RELAY_FP=$(sed -n 's/.*tls-fingerprint \(sha256:[0-9a-f]*\).*/\1/p' "$WORK/relay.out" | head -1)
    lab_exec gms "$BIN/twofold-gms" --data "$WORK/gms" --listen 0.0.0.0:7400 --password-hashing minimum \
        --multicast-interface eth0 --multicast-scope subnet --relay 192.0.2.1:7401 --relay-fingerprint "$RELAY_FP" \
        "$@" >"$WORK/gms.out" 2>&1 &
    wait_for_line "$WORK/gms.out" "listening on"
}
lan_start_relay() {
    lab_exec gms "$BIN/twofold-relay" --data "$WORK/relay" --listen 0.0.0.0:7401 --gms-key "$GMS_KEY" \
        >>"$WORK/relay.out" 2>&1 &
    wait_for_line "$WORK/relay.out" "listening on"
}

tf() {
    local who=$1; shift
    lab_exec "${NS[$who]}" env TWOFOLD_PASSPHRASE="passphrase of $who" "$BIN/twofold" --home "$WORK/$who" "$@"
}

# lan_form_group NAME SECONDS: every member initialised; alice makes the group (timed RN2
# renewals every SECONDS), the others join it.
lan_form_group() {
    local who
    for who in alice bob carol dave; do
        TWOFOLD_PASSWORD="password of $who" tf "$who" init --name "$who" --gms "${SERVER[$who]}:7400" \
            --gms-fingerprint "$GMS_FP" --gms-key "$GMS_KEY" --relay "${SERVER[$who]}:7401" \
            --relay-fingerprint "$RELAY_FP" --kdf minimum >/dev/null || return 1
    done
    tf alice group create "$1" --rn2-interval "$2" >/dev/null || return 1
    for who in bob carol dave; do tf alice invite "$1" "$who" >/dev/null && tf "$who" accept "$1" >/dev/null || return 1; done
    tf alice sync >/dev/null
    for who in bob carol dave; do tf "$who" sync >/dev/null || return 1; done
}
