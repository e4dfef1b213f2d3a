#!/usr/bin/env bash
# The example configs, as installed, start the installed daemons: each prints its listening line
# with the file as shipped and with every commented default switched on, then stops cleanly on
# SIGTERM. The data directory and address are given on the command line, which wins over the
# file. CLI11 ignores a key it does not know, so every key is also checked against --help.
set -euo pipefail
prefix=$1
bin=$prefix/bin
examples=$prefix/share/doc/twofold/examples
work=$(mktemp -d /tmp/twofold-install.XXXXXX)
pids=()
cleanup() {
    [[ ${#pids[@]} -eq 0 ]] || kill "${pids[@]}" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# keys_are_options PROGRAM CONFIG: every key, set or commented out, is a long option of PROGRAM.
keys_are_options() {
    local help key
    help=$("$1" --help)
    for key in $(sed -n 's/^#\{0,1\} *\([a-z][a-z0-9-]*\) *=.*/\1/p' "$2"); do
        grep -qE -- "(^| |,)--$key( |$)" <<<"$help" || fail "$2: '$key' is not an option of $(basename "$1")"
    done
}

# with_defaults CONFIG OUT: writes CONFIG with its commented "# key = value" lines switched on.
with_defaults() {
    sed 's/^# \([a-z][a-z0-9-]* = [^ ]*\).*/\1/' "$1" >"$2"
    if cmp -s "$1" "$2"; then fail "$1 has no commented defaults to switch on"; fi
}

# serves NAME COMMAND...: prints its listening line within 20 s, then exits 0 on SIGTERM.
serves() {
    local name=$1 status=0 pid
    shift
    "$@" >"$work/$name.out" 2>"$work/$name.err" &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do
        grep -q "listening on" "$work/$name.out" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if ! grep -q "listening on 127.0.0.1:" "$work/$name.out"; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" || true
        fail "$name: no listening line; stderr: $(cat "$work/$name.err")"
        return
    fi
    kill -TERM "$pid"
    wait "$pid" || status=$?
    [[ $status -eq 0 ]] || fail "$name: exited $status on SIGTERM"
    echo "ok   $name: $(head -1 "$work/$name.out")"
}

gms_conf=$examples/twofold-gms.conf
relay_conf=$examples/twofold-relay.conf
for f in "$gms_conf" "$relay_conf"; do [[ -f $f ]] || { echo "FAIL $f is not installed"; exit 1; }; done
keys_are_options "$bin/twofold-gms" "$gms_conf"
keys_are_options "$bin/twofold-relay" "$relay_conf"

serves gms "$bin/twofold-gms" --config "$gms_conf" --data "$work/gms" --listen 127.0.0.1:0
with_defaults "$gms_conf" "$work/gms-defaults.conf"
serves gms-defaults "$bin/twofold-gms" --config "$work/gms-defaults.conf" --data "$work/gms" --listen 127.0.0.1:0

# The relay's file holds a placeholder for the GMS's key: as shipped, it refuses to start and
# says which option to fill in; with the real key (from `twofold-gms info`) it serves.
status=0
err=$("$bin/twofold-relay" --config "$relay_conf" --data "$work/relay" --listen 127.0.0.1:0 2>&1 >/dev/null) || status=$?
[[ $status -eq 2 && $err == *--gms-key* ]] || fail "relay with the placeholder key: exited $status: $err"
gms_key=$("$bin/twofold-gms" --data "$work/gms" info | sed -n 's/^signing-key //p')
serves relay "$bin/twofold-relay" --config "$relay_conf" --data "$work/relay" --listen 127.0.0.1:0 --gms-key "$gms_key"
with_defaults "$relay_conf" "$work/relay-defaults.conf"
serves relay-defaults "$bin/twofold-relay" --config "$work/relay-defaults.conf" --data "$work/relay" \
    --listen 127.0.0.1:0 --gms-key "$gms_key"

exit $((failures > 0))
