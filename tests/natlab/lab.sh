# The NAT lab: a small internet in network namespaces (needs root: CI runs as root).
#
#   internet  namespace ${LAB}-inet: a bridge holding 203.0.113.1-2/24 (the servers) and
#             198.51.100.1/24; each site's router hangs on it with 198.51.100.(10+N)/24.
#   site N    router namespace ${LAB}-<site>r, LAN 10.N.0.0/24 behind it, each host in its own
#             namespace ${LAB}-<site>h<i> (10.N.0.(1+i)), default route via the router.
#   NAT       nftables in the router's namespace: "cone" = masquerade (endpoint-independent
#             mapping: Linux keeps the source port per socket), "symmetric" = masquerade
#             fully-random (a new outside port per destination, address-and-port-dependent).
#             Both filter what comes in by conntrack (only answers to what went out).
#   delay     this kernel has no sch_netem: nfq_delay (LAB_DELAYER, built beside ice_peer) in
#             each router's namespace holds every packet crossing its internet link, in either
#             direction, RTT_MS/4 (iptables mangle -j NFQUEUE), so a round trip between two
#             sites takes RTT_MS and one between a site and a server RTT_MS/2. The LAN is not
#             delayed.
#
# Every name carries LAB (default tf<pid>): runs at the same time never meet. lab_down removes
# every namespace of this run (and so its links, nft tables and qdiscs) after killing what runs
# inside; call it from an EXIT trap. Addresses exist only inside these namespaces.

LAB=${LAB:-tf$$}
LAB_SITES=()

lab_in() {  # lab_in NS CMD...: run CMD in namespace ${LAB}-NS
    local ns=$1
    shift
    ip netns exec "$LAB-$ns" "$@"
}

lab_down() {
    local ns
    for ns in $(ip netns list | awk '{print $1}' | grep "^$LAB-" || true); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    done
    for ns in $(ip netns list | awk '{print $1}' | grep "^$LAB-" || true); do
        ip netns del "$ns" 2>/dev/null || true
    done
}

_lab_ns() {
    ip netns add "$LAB-$1"
    ip -n "$LAB-$1" link set lo up
    # IPv4 only: link-local IPv6 host candidates would add pairs that say nothing about NAT.
    ip netns exec "$LAB-$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}


# lab_up [RTT_MS]: the internet namespace.
lab_up() {
    LAB_DELAY_MS=$(( ${1:-0} / 4 ))
    [ $(( ${1:-0} % 4 )) = 0 ] || LAB_DELAY_MS=$(awk "BEGIN{print ${1:-0}/4}")
    _lab_ns inet
    ip -n "$LAB-inet" link add br0 type bridge
    ip -n "$LAB-inet" addr add 203.0.113.1/24 dev br0
    ip -n "$LAB-inet" addr add 203.0.113.2/24 dev br0
    ip -n "$LAB-inet" addr add 198.51.100.1/24 dev br0
    ip -n "$LAB-inet" link set br0 up
}

# lab_site NAME N KIND HOSTS: a router of KIND (cone | symmetric) with HOSTS hosts on 10.N.0.0/24.
lab_site() {
    local name=$1 n=$2 kind=$3 hosts=$4 r="$1r" i
    _lab_ns "$r"
    ip -n "$LAB-inet" link add "w$n" type veth peer name wan netns "$LAB-$r"
    ip -n "$LAB-inet" link set "w$n" master br0 up
    ip -n "$LAB-$r" addr add "198.51.100.$((10 + n))/24" dev wan
    ip -n "$LAB-$r" link set wan up
    ip -n "$LAB-$r" route add default via 198.51.100.1
    ip -n "$LAB-$r" link add lan type bridge
    ip -n "$LAB-$r" addr add "10.$n.0.1/24" dev lan
    ip -n "$LAB-$r" link set lan up
    lab_in "$r" sysctl -qw net.ipv4.ip_forward=1
    for i in $(seq 1 "$hosts"); do
        _lab_ns "${name}h$i"
        ip -n "$LAB-$r" link add "l$i" type veth peer name eth0 netns "$LAB-${name}h$i"
        ip -n "$LAB-$r" link set "l$i" master lan up
        ip -n "$LAB-${name}h$i" addr add "10.$n.0.$((1 + i))/24" dev eth0
        ip -n "$LAB-${name}h$i" link set eth0 up
        ip -n "$LAB-${name}h$i" route add default via "10.$n.0.1"
    done
    local random=""
    [ "$kind" = symmetric ] && random=" fully-random"
    lab_in "$r" nft -f - <<NFT
table ip nat {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan" masquerade$random
    }
    # Unsolicited packets from outside are dropped, as a home router's firewall does. Without
    # this a hole-punching packet that arrives first would leave a conntrack entry for the
    # router itself (and an ICMP error) that then makes the NAT pick another outside port.
    chain input {
        type filter hook input priority filter; policy accept;
        iifname "wan" ct state new drop
    }
}
NFT
    if [ "$LAB_DELAY_MS" != 0 ]; then
        _lab_delay "$r" || return 1
    fi
    LAB_SITES+=("$name")
}

# _lab_delay ROUTER: the delayer first (without it the queued packets would be dropped), then
# the rules that hand it the router's internet traffic both ways.
_lab_delay() {
    local r=$1 out="$WORK/delay-$1.out"
    [ -x "${LAB_DELAYER:-}" ] || { echo "the NAT lab: delay needs LAB_DELAYER (the nfq_delay program)" >&2; return 1; }
    lab_in "$r" "$LAB_DELAYER" --queue 0 --delay-ms "$LAB_DELAY_MS" >"$out" 2>&1 &
    for _ in $(seq 1 100); do grep -q ready "$out" 2>/dev/null && break; sleep 0.02; done
    grep -q ready "$out" || { echo "the NAT lab: nfq_delay did not start: $(cat "$out")" >&2; return 1; }
    lab_in "$r" iptables -t mangle -A POSTROUTING -o wan -j NFQUEUE --queue-num 0
    lab_in "$r" iptables -t mangle -A PREROUTING -i wan -j NFQUEUE --queue-num 0
}

# lab_standard [RTT_MS]: the internet, sites lan (2 hosts, cone), cone1, cone2, sym1, sym2.
lab_standard() {
    lab_up "${1:-0}"
    lab_site lan 5 cone 2
    lab_site cone1 1 cone 1
    lab_site cone2 2 cone 1
    lab_site sym1 3 symmetric 1
    lab_site sym2 4 symmetric 1
}

# lab_ice_pair PEER DIR NS_A NS_B EXPECT [ice_peer options]: ice_peer at both ends at once
# (NS_A controlling); their JSON lines in DIR/a.json and DIR/b.json. Succeeds if both ends met
# EXPECT (a pair kind, or "failure").
lab_ice_pair() {
    local peer=$1 dir=$2 a=$3 b=$4 expect=$5
    shift 5
    mkdir -p "$dir"
    rm -f "$dir"/a.desc "$dir"/b.desc
    lab_in "$a" "$peer" --role controlling --write "$dir/a.desc" --read "$dir/b.desc" --expect "$expect" "$@" \
        >"$dir/a.json" 2>"$dir/a.err" &
    local pa=$!
    lab_in "$b" "$peer" --role controlled --write "$dir/b.desc" --read "$dir/a.desc" --expect "$expect" "$@" \
        >"$dir/b.json" 2>"$dir/b.err" &
    local pb=$! ra=0 rb=0
    wait "$pa" || ra=$?
    wait "$pb" || rb=$?
    [ "$ra" = 0 ] && [ "$rb" = 0 ]
}

# lab_run_setup: WORK, a fresh directory, and an EXIT trap that stops coturn and removes the lab
# and WORK, also when the caller fails. Source scripts/lib/coturn.sh first.
lab_run_setup() {
    WORK=$(mktemp -d "/tmp/twofold-natlab.$$.XXXXXX")
    trap 'coturn_stop "$WORK/coturn" 2>/dev/null || true; lab_down; rm -rf "$WORK"' EXIT
    trap "exit 143" INT TERM
}

# lab_test_start: what every lab test begins with. Exits 77 (ctest's SKIP) unless this process
# may make namespaces (root), then lab_run_setup, and the counters pass/fail/lab_test_end report by.
lab_test_start() {
    if [ "$(id -u)" != 0 ] || ! ip netns add "$LAB-probe" 2>/dev/null; then
        echo "SKIP: the NAT lab needs root (network namespaces)"
        exit 77
    fi
    ip netns del "$LAB-probe"
    lab_run_setup
    failures=0
}
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }
lab_test_end() { [ "$failures" = 0 ] || { echo "$failures check(s) failed"; exit 1; }; }

# lab_coturn_start: coturn in the internet namespace on 203.0.113.1:3478 (STUN also on
# 203.0.113.2) with a fresh secret; SERVERS holds ice_peer's options for it.
lab_coturn_start() {
    mkdir -p "$WORK/coturn"
    head -c 32 /dev/urandom | base64 | tr -d '\n=' >"$WORK/turn.secret"
    COTURN_EXTRA_IP=203.0.113.2 coturn_start "$WORK/coturn" 203.0.113.1 3478 "$WORK/turn.secret" \
        ip netns exec "$LAB-inet" >&2
    SERVERS=(--stun 203.0.113.1:3478 --turn 203.0.113.1:3478 --turn-secret-file "$WORK/turn.secret")
}
