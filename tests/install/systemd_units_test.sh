#!/usr/bin/env bash
# The installed systemd units: `systemd-analyze verify` accepts them without a warning, they
# start the program installed beside them with the hardening docs/install.md promises, and the
# config each one reads keeps its data in the unit's state directory.
set -euo pipefail
prefix=$1
if ! command -v systemd-analyze >/dev/null; then
    echo "SKIP: systemd-analyze is absent (it comes with the Debian package systemd)"
    exit 77
fi
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

for unit in twofold-gms twofold-relay; do
    file=$prefix/lib/systemd/system/$unit.service
    [[ -f $file ]] || { fail "$file is not installed"; continue; }
    program=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$file")
    [[ $program == "$prefix/bin/$unit" ]] || fail "$unit: ExecStart runs $program, not $prefix/bin/$unit"
    for setting in "DynamicUser=yes" "User=$unit" "StateDirectory=$unit" "NoNewPrivileges=yes" \
        "ProtectSystem=strict" "PrivateTmp=yes" "Restart=on-failure"; do
        grep -qx "$setting" "$file" || fail "$unit: no $setting"
    done
    config=$(sed -n 's/^ExecStart=.* --config \([^ ]*\).*/\1/p' "$file")
    example=$prefix/share/doc/twofold/examples/$(basename "$config")
    grep -qx "data = \"/var/lib/$unit\"" "$example" ||
        fail "$unit: $example (installed as $config) does not keep its data in /var/lib/$unit"
    status=0
    out=$(systemd-analyze verify "$file" 2>&1) || status=$?
    if [[ $status -ne 0 ]] || grep -q "$unit" <<<"$out"; then
        fail "$unit: systemd-analyze verify exited $status: $out"
    else
        echo "ok   $unit: systemd-analyze verify $file"
    fi
done

exit $((failures > 0))
