# coturn, the STUN/TURN server of the direct route, for the tests, the NAT lab and make demo.
#
# Sourced:  coturn_start DIR IP PORT SECRET_FILE [PREFIX...]   start, wait until it listens
#           coturn_stop DIR                                    stop it (SIGTERM, then SIGKILL)
#   PREFIX runs it elsewhere, e.g. `ip netns exec NS`. The pid is kept in DIR/coturn.pid.
#   COTURN_EXTRA_IP=IP also answers STUN there (the NAT lab's mapping check needs two servers).
# Run:      bash coturn.sh config DIR IP PORT SECRET_FILE      only write DIR/turnserver.conf
#   (tests/support/coturn_server.h starts turnserver itself, so it dies with the test).
#
# The configuration: UDP only on IP:PORT, relay addresses on IP, TURN REST API credentials
# (use-auth-secret: the GMS signs "<expiry>:<account>" with the same secret), no CLI, no TLS
# (the TURN hop carries Noise-encrypted bytes only), no multicast or private (RFC 1918) peers —
# a member cannot use the relay to reach the TURN server's own network, and a permission for a
# peer's LAN address is refused at once instead of breaking the session —, its log and its SQLite
# file in DIR. The secret is copied from SECRET_FILE into the configuration (mode 600): coturn
# reads static-auth-secret from its configuration only.

coturn_write_config() {
    local dir=$1 ip=$2 port=$3 secret_file=$4
    local secret
    secret=$(head -n1 "$secret_file" | tr -d '\r')  # its first line, as twofold-gms reads it
    [ -n "$secret" ] || { echo "coturn: the secret file $secret_file is empty" >&2; return 1; }
    (umask 077 && cat >"$dir/turnserver.conf" <<CONF
listening-ip=$ip${COTURN_EXTRA_IP:+
listening-ip=$COTURN_EXTRA_IP}
relay-ip=$ip
listening-port=$port
use-auth-secret
static-auth-secret=$secret
realm=twofold
fingerprint
no-cli
no-tls
no-dtls
no-tcp
no-tcp-relay
no-multicast-peers
denied-peer-ip=10.0.0.0-10.255.255.255
denied-peer-ip=172.16.0.0-172.31.255.255
denied-peer-ip=192.168.0.0-192.168.255.255
no-software-attribute
log-file=$dir/turnserver.log
simple-log
no-stdout-log
verbose
pidfile=$dir/turnserver.pid
userdb=$dir/turndb
CONF
    )
}

coturn_start() {
    local dir=$1 ip=$2 port=$3 secret_file=$4
    shift 4
    coturn_write_config "$dir" "$ip" "$port" "$secret_file" || return 1
    "$@" turnserver -c "$dir/turnserver.conf" >"$dir/turnserver.out" 2>&1 &
    echo $! >"$dir/coturn.pid"
    for _ in $(seq 1 100); do
        if "$@" ss -Hlun "sport = :$port" 2>/dev/null | grep -q "$ip:$port"; then return 0; fi
        kill -0 "$(cat "$dir/coturn.pid")" 2>/dev/null || break
        sleep 0.05
    done
    echo "coturn did not start on $ip:$port; its output:" >&2
    cat "$dir/turnserver.out" "$dir/turnserver.log" >&2 2>/dev/null
    return 1
}

coturn_stop() {
    local dir=$1 pid
    [ -f "$dir/coturn.pid" ] || return 0
    pid=$(cat "$dir/coturn.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$dir/coturn.pid"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    case "${1:-}" in
        config) shift; coturn_write_config "$@" ;;
        *) echo "usage: bash coturn.sh config DIR IP PORT SECRET_FILE" >&2; exit 2 ;;
    esac
fi
