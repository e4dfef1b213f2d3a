#!/usr/bin/env bash
# `twofold keys gk` against an independent SHA-256 (OpenSSL's, on the same bytes), and the
# usage errors: exit status 2 and a message that names the argument.
set -euo pipefail
twofold=$1
failures=0

hex_to_bin() { printf "$(sed 's/../\\x&/g' <<<"$1")"; }
expected_gk() { { hex_to_bin "$1"; hex_to_bin "$2"; printf '%s' "$3"; } | openssl dgst -sha256 -r | cut -d' ' -f1; }

check_gk() {
    local rn1=$1 rn2=$2 group=$3 got want
    got=$("$twofold" keys gk --rn1 "$rn1" --rn2 "$rn2" --group "$group")
    want=$(expected_gk "$rn1" "$rn2" "$group")
    if [[ $got != "$want" || ! $got =~ ^[0-9a-f]{64}$ ]]; then
        echo "FAIL gk for group '$group': got $got want $want"; failures=$((failures + 1))
    else
        echo "ok   gk for group '$group'"
    fi
}

check_usage_error() {
    local names=$1; shift
    local out status=0
    out=$("$twofold" "$@" 2>&1 >/dev/null) || status=$?
    if [[ $status -ne 2 || $out != *"$names"* ]]; then
        echo "FAIL usage error (want status 2 naming '$names'): status $status, message: $out"
        failures=$((failures + 1))
    else
        echo "ok   usage error: $out"
    fi
}

zeros=$(printf '00%.0s' {1..32})
long_name=$(printf 'n%.0s' {1..255})
check_gk "$(openssl rand -hex 32)" "$(openssl rand -hex 32)" "friends"
check_gk "$zeros" "$(openssl rand -hex 32)" "研究室 グループ"
check_gk "$(openssl rand -hex 32 | tr a-f A-F)" "$zeros" "a b c 🎉"
check_gk "$(openssl rand -hex 32)" "$(openssl rand -hex 32)" "$long_name"

good=$(openssl rand -hex 32)
check_usage_error "--rn1" keys gk --rn1 "${good:0:63}" --rn2 "$good" --group g
check_usage_error "--rn1" keys gk --rn1 "${good}0" --rn2 "$good" --group g
check_usage_error "--rn1" keys gk --rn1 "${good:0:62}zz" --rn2 "$good" --group g
check_usage_error "--rn2" keys gk --rn1 "$good" --rn2 "" --group g
check_usage_error "--rn2" keys gk --rn1 "$good" --rn2 "${good:0:60}+-*/" --group g
check_usage_error "--group" keys gk --rn1 "$good" --rn2 "$good" --group ""
check_usage_error "--group" keys gk --rn1 "$good" --rn2 "$good" --group "${long_name}x"
check_usage_error "--group" keys gk --rn1 "$good" --rn2 "$good" --group $'bad\xff'
check_usage_error "--group" keys gk --rn1 "$good" --rn2 "$good" --group $'\xc0\x80'
check_usage_error "--rn2" keys gk --rn1 "$good" --group g

version=$("$twofold" --version)
[[ $version == "twofold "* ]] || { echo "FAIL --version printed '$version'"; failures=$((failures + 1)); }
"$twofold" --help | grep -q keys || { echo "FAIL --help does not list 'keys'"; failures=$((failures + 1)); }

[[ $failures -eq 0 ]]
