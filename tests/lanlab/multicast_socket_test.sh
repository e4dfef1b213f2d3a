#!/usr/bin/env bash
# net::MulticastSocket in the LAN lab: a datagram sent on the LAN reaches every member that
# joined, and none outside the LAN (no multicast routing), and a TTL of 1 does not leave the
# sender's subnet even where a multicast router would forward it.
set -uo pipefail
probe=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/checks.sh"
. "$here/lan_lab.sh"
trap lab_down EXIT
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root for network namespaces"; exit 77; }
lab_up

group=239.255.42.7 port=7410
out_dir=$(mktemp -d); trap 'lab_down; rm -rf "$out_dir"' EXIT
for m in m1 m2 m3 out; do
    lab_exec "$m" "$probe" recv $group $port eth0 3000 >"$out_dir/$m" 2>&1 &
done
sleep 0.5  # the joins
lab_exec gms "$probe" send $group $port eth0 15 "rekey-probe"
wait
for m in m1 m2 m3; do
    check "member $m on the LAN receives the datagram" "grep -qx rekey-probe $out_dir/$m"
done
check "the member outside the LAN receives nothing" "grep -q 'no datagram' $out_dir/out"
checks_done
