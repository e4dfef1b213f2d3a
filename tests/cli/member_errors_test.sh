#!/usr/bin/env bash
# The member CLI's errors: one line naming the problem and a non-zero exit (1 for a failure,
# 2 for a usage error), with no server running.
set -euo pipefail
twofold=$1
home=$(mktemp -d /tmp/twofold-cli.XXXXXX)
trap 'rm -rf "$home"' EXIT
failures=0

# expect STATUS TEXT ARGS...: the command exits with STATUS and the first line of its stderr names
# TEXT; a failure (status 1) prints that one line only, a usage error adds a pointer to --help.
expect() {
    local want_status=$1 text=$2; shift 2
    local out status=0
    out=$("$@" 2>&1 >/dev/null) || status=$?
    local lines=1
    [[ $want_status -eq 2 ]] && lines=2
    if [[ $status -ne $want_status || $(head -1 <<<"$out") != *"$text"* || $(wc -l <<<"$out") -ne $lines ]]; then
        echo "FAIL $* (want status $want_status and one line naming '$text'): status $status, stderr: $out"
        failures=$((failures + 1))
    else
        echo "ok   $out"
    fi
}

export TWOFOLD_PASSPHRASE="a passphrase" TWOFOLD_PASSWORD="a password"
expect 1 "run \`twofold init\` first" "$twofold" groups --home "$home/nobody"
expect 1 "cannot reach the GMS" "$twofold" init --home "$home/alice" --name alice --gms 127.0.0.1:1 \
    --gms-fingerprint sha256:00 --gms-key "$(printf '%064d' 0)" --relay 127.0.0.1:2 --relay-fingerprint sha256:00 --kdf minimum
expect 1 "--gms-key must be 64 hex digits" "$twofold" init --home "$home/alice" --name alice --gms 127.0.0.1:1 \
    --gms-fingerprint sha256:00 --gms-key abcd --relay 127.0.0.1:2 --relay-fingerprint sha256:00
expect 1 "account" "$twofold" init --home "$home/alice" --name "bad name!" --gms 127.0.0.1:1 \
    --gms-fingerprint sha256:00 --gms-key "$(printf '%064d' 0)" --relay 127.0.0.1:2 --relay-fingerprint sha256:00
# --relay: HOST:PORT (twofold-relay) or mqtts://HOST:PORT (an MQTT broker); nothing else, and a
# broker that is not there is named as the broker.
expect 1 "no other scheme" "$twofold" init --home "$home/alice" --name alice --gms 127.0.0.1:1 \
    --gms-fingerprint sha256:00 --gms-key "$(printf '%064d' 0)" --relay mqtt://127.0.0.1:2 --relay-fingerprint sha256:00
expect 1 "cannot reach the MQTT broker" "$twofold" init --home "$home/alice" --name alice --gms 127.0.0.1:1 \
    --gms-fingerprint sha256:00 --gms-key "$(printf '%064d' 0)" --relay mqtts://127.0.0.1:2 \
    --relay-fingerprint "sha256:$(printf '%064d' 0)" --kdf minimum
expect 2 "--name" "$twofold" init --home "$home/alice"
expect 2 "GROUP" "$twofold" send
[[ ! -e $home/alice/member.db ]] || { echo "FAIL a failed init left a store behind"; failures=$((failures + 1)); }

# A passphrase is never read from a terminal-less stdin by accident: with no file and no
# variable, the command says what it needs.
unset TWOFOLD_PASSPHRASE
mkdir -p "$home/empty" && touch "$home/empty/member.db"
expect 1 "passphrase" "$twofold" groups --home "$home/empty" </dev/null

exit $((failures > 0))
