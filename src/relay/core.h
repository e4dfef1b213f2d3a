// The relay's protocol logic: pure and single-threaded. The server feeds it frames and the time
// and sends what it hands back; storage sits behind RelayStore. Nothing here opens a socket,
// reads a clock or touches a disk.
//
// A batch: handle() every frame that is ready (cheap checks first: authentication, shape, size,
// rate, then the statement's signature, then the store), then end_batch(): one commit, and only
// then the acknowledgements (accepted ids, subscriptions) and the deliveries go out. So nothing
// is acknowledged or delivered that a crash could lose.
//
// Delivery: each connection has a window of unacknowledged envelopes (count and bytes). New
// envelopes go straight to a connection that is caught up and has room; otherwise they wait in
// the store and are read back in id order as acknowledgements free the window. A slow receiver
// therefore only ever holds up itself.
//
// Retention: group envelopes are kept for the TTL (up to max_group_bytes per group, oldest
// dropped first) whether or not the current subscribers acknowledged them, because a member
// admitted later is owed those of its epoch and after (memberships.h). Mailbox envelopes are
// deleted once acknowledged.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/result.h"
#include "crypto/sign.h"
#include "relay/auth.h"
#include "relay/membership_gate.h"
#include "relay/memberships.h"
#include "relay/store.h"
#include "relay/token_bucket.h"
#include "relay/types.h"

namespace twofold::relay {

inline constexpr std::size_t kKiB = 1024;
inline constexpr std::size_t kMiB = 1024 * kKiB;
inline constexpr std::uint64_t kSecondsPerDay = 86'400;

struct Config {
    std::size_t max_envelope_bytes = 256 * kKiB;            // payload bytes of one envelope
    std::uint64_t max_queued_bytes_per_member = 64 * kMiB;  // owed to one recipient
    std::uint64_t max_group_bytes = 32 * kMiB;              // retained per group; the oldest go first
    double sends_per_second = 1000;                         // publishes + mailbox sends, per member
    double send_burst = 2000;
    std::uint64_t ttl_ms = 7 * kSecondsPerDay * kMsPerSecond;
    std::uint64_t grace_ms = 120 * kMsPerSecond;  // for a statement of an older epoch
    std::size_t delivery_window = 256;            // unacknowledged envelopes per connection
    std::uint64_t delivery_window_bytes = 4 * kMiB;
    std::size_t max_connections_per_member = 16;
};

// An encoded v1::RelayResponse for one connection; a fan-out shares one encoding.
struct Outgoing {
    ConnId to;
    std::shared_ptr<const std::string> payload;
};

class RelayCore {
  public:
    RelayCore(Config config, crypto::SignPublicKey gms_key, std::string relay_fingerprint, RelayStore& store);

    // Reads subscriptions, group epochs and queue sizes from the store.
    Status load();

    // A new connection: it is sent the challenge to sign.
    void connected(ConnId conn, const Challenge& challenge, std::vector<Outgoing>& out);
    // One frame. Refusals go to `out` at once; what needs the commit waits for end_batch().
    void handle(ConnId conn, ByteView frame, std::uint64_t now_ms, std::vector<Outgoing>& out);
    // The stream broke its framing: a last error for the peer (the server closes it).
    void frame_error(ConnId conn, const Error& error, std::vector<Outgoing>& out);
    void disconnected(ConnId conn);

    // Commits the batch, then releases acknowledgements and deliveries. A failed commit drops
    // them all (nothing was promised) and is returned: the server must stop.
    Status end_batch(std::uint64_t now_ms, std::vector<Outgoing>& out);
    // Deletes expired envelopes and commits.
    Status sweep(std::uint64_t now_ms);

    std::size_t in_flight(ConnId conn) const;
    std::size_t connections() const { return conns_.size(); }

  private:
    struct Verified {  // a statement this connection showed, checked once byte for byte
        std::string encoded;
        std::uint64_t epoch = 0;
        std::uint64_t expires_ms = 0;
    };
    struct Conn {
        Challenge challenge{};
        bool authenticated = false;
        MemberKey key;
        std::unordered_map<GroupId, Verified> statements;
        std::uint64_t cursor = 0;                          // highest id read from the store for this connection
        bool caught_up = false;                            // nothing owed beyond cursor that was not offered
        std::map<std::uint64_t, std::uint64_t> in_flight;  // id -> payload bytes, unacknowledged
        std::uint64_t in_flight_bytes = 0;
    };
    struct Fresh {  // stored this batch, delivered after the commit
        StoredEnvelope envelope;
        std::shared_ptr<const std::string> encoded;
        std::vector<MemberKey> recipients;
    };

    void on_auth(ConnId id, Conn& c, const v1::RelayRequest& r, std::vector<Outgoing>& out);
    void on_publish(ConnId id, Conn& c, const v1::RelayRequest& r, std::uint64_t now_ms, std::vector<Outgoing>& out);
    void on_send(ConnId id, Conn& c, const v1::RelayRequest& r, std::uint64_t now_ms, std::vector<Outgoing>& out);
    void on_subscribe(ConnId id, Conn& c, const v1::RelayRequest& r, std::uint64_t now_ms, std::vector<Outgoing>& out);
    void on_ack(ConnId id, Conn& c, const v1::RelayRequest& r);
    // rekey_publication.cpp: the GMS's signed rekey, once per group, fanned out to its members.
    void on_publish_rekey(ConnId id, Conn& c, const v1::RelayRequest& r, std::uint64_t now_ms,
                          std::vector<Outgoing>& out);
    // Members to fan a group envelope of this epoch out to, but for those whose queue is full.
    std::vector<MemberKey> recipients_of(const GroupId& group, const MemberKey& sender, std::uint64_t epoch,
                                         std::size_t bytes);

    Status admit(Conn& c, const v1::MembershipStatement& statement, const GroupId& group, std::uint64_t now_ms);
    bool take_token(const MemberKey& key, std::uint64_t now_ms);
    void store_envelope(ConnId id, std::uint64_t request_id, StoredEnvelope envelope, std::vector<MemberKey> recipients,
                        std::vector<Outgoing>& out);
    bool deliverable(const Conn& c, const StoredEnvelope& e, std::uint64_t now_ms) const;
    bool window_full(const Conn& c) const;
    void deliver(ConnId id, Conn& c, std::uint64_t envelope_id, std::size_t bytes,
                 std::shared_ptr<const std::string> encoded, std::vector<Outgoing>& out);
    Status pump(ConnId id, Conn& c, std::uint64_t now_ms, std::vector<Outgoing>& out);
    Status reload_queued_bytes();
    Status reload_group_bytes();
    Status make_room(const GroupId& group, std::uint64_t bytes);
    Status admit_membership(const Subscription& subscription);

    Config config_;
    crypto::SignPublicKey gms_key_;
    std::string fingerprint_;
    RelayStore& store_;
    MembershipGate gate_;

    std::unordered_map<ConnId, Conn> conns_;
    std::unordered_map<MemberKey, std::vector<ConnId>> online_;
    std::unordered_map<MemberKey, TokenBucket> buckets_;  // while the member is online
    Memberships memberships_;
    std::unordered_map<MemberKey, std::uint64_t> queued_bytes_;
    std::unordered_map<GroupId, std::uint64_t> group_bytes_;  // payload bytes retained per group

    bool dirty_ = false;                  // writes since the last commit
    std::vector<Outgoing> after_commit_;  // acknowledgements waiting for the commit
    std::vector<Fresh> fresh_;
    std::unordered_set<ConnId> to_pump_;
};

}  // namespace twofold::relay
