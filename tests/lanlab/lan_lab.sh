# A LAN in network namespaces, sourced by the LAN tests and `twofold-bench rekey --lan`:
#
#   ${LAB}sw   a bridge, the LAN (192.0.2.0/24; nothing outside the lab's namespaces is reached)
#   ${LAB}gms  the GMS and the relay: 192.0.2.1 on the LAN (eth0), 198.51.100.1 outside (eth1)
#   ${LAB}m1..m3  members on the LAN, 192.0.2.11-13 (lab_loss makes the LAN lossy)
#   ${LAB}out  a member outside the LAN, 198.51.100.2: unicast reaches the servers, multicast
#              does not (no multicast routing in ${LAB}gms)
#
# lab_up creates it, lab_down removes every namespace of this run (also what a killed earlier
# run with the same prefix left). Callers trap EXIT to lab_down. Needs root, iproute2, tc.
LAB=${LAB:-tfl$$-}
LAB_MEMBERS=(m1 m2 m3)

lab_ns() { echo "${LAB}$1"; }
lab_exec() { local ns=$1; shift; ip netns exec "$(lab_ns "$ns")" "$@"; }

lab_down() {
    local ns
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${LAB}" || true); do
        # Whatever still runs in the namespace goes with it.
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns delete "$ns" 2>/dev/null || true
    done
}

lab_link() {  # lab_link NS ADDRESS/LEN: a port of the bridge, eth0 in NS
    local ns=$1 address=$2 port="p-$1"
    ip -n "$(lab_ns sw)" link add "$port" type veth peer name eth0 netns "$(lab_ns "$ns")"
    ip -n "$(lab_ns sw)" link set "$port" master br0 up
    ip -n "$(lab_ns "$ns")" addr add "$address" dev eth0
    ip -n "$(lab_ns "$ns")" link set eth0 up
}

lab_up() {
    lab_down
    local ns
    for ns in sw gms "${LAB_MEMBERS[@]}" out; do
        ip netns add "$(lab_ns "$ns")"
        ip -n "$(lab_ns "$ns")" link set lo up
    done
    ip -n "$(lab_ns sw)" link add br0 type bridge
    # No IGMP snooping: the bridge floods multicast to every port, as an unmanaged switch does.
    ip -n "$(lab_ns sw)" link set br0 type bridge mcast_snooping 0
    ip -n "$(lab_ns sw)" link set br0 up
    lab_link gms 192.0.2.1/24
    local i=11 m
    for m in "${LAB_MEMBERS[@]}"; do
        lab_link "$m" "192.0.2.$i/24"
        ip -n "$(lab_ns "$m")" route add default via 192.0.2.1
        i=$((i + 1))
    done
    ip -n "$(lab_ns gms)" link add eth1 type veth peer name eth0 netns "$(lab_ns out)"
    ip -n "$(lab_ns gms)" addr add 198.51.100.1/24 dev eth1
    ip -n "$(lab_ns gms)" link set eth1 up
    ip -n "$(lab_ns out)" addr add 198.51.100.2/24 dev eth0
    ip -n "$(lab_ns out)" link set eth0 up
    ip -n "$(lab_ns out)" route add default via 198.51.100.1
    lab_exec gms sysctl -qw net.ipv4.ip_forward=1
}

# lab_interrupt NS...: SIGINT to every process in those namespaces (members stop following).
lab_interrupt() {
    local ns
    for ns in "$@"; do ip netns pids "$(lab_ns "$ns")" | xargs -r kill -INT; done
}

# lab_kill NS PROGRAM: SIGTERM to that program in that namespace only. (pkill would reach every
# namespace: `ip netns exec` shares the machine's process table, and other tests run beside us.)
lab_kill() {
    local pid
    for pid in $(ip netns pids "$(lab_ns "$1")"); do
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "${2:0:15}" ]] && kill "$pid"
    done
    return 0
}

# lab_loss PERCENT: every LAN member's port drops that share of what the LAN sends it, at
# random (an nftables rule on the bridge: netem is not in every kernel, and not in this
# machine's). 0 removes the loss.
lab_loss() {
    local ports
    ip netns exec "$(lab_ns sw)" nft delete table bridge lanloss 2>/dev/null || true
    [[ $1 -eq 0 ]] && return 0
    ports=$(printf '"p-%s", ' "${LAB_MEMBERS[@]}")
    ip netns exec "$(lab_ns sw)" nft -f - <<NFT
table bridge lanloss {
    chain forward {
        type filter hook forward priority 0; policy accept;
        oifname { ${ports%, } } numgen random mod 100 < $1 drop
    }
}
NFT
}
