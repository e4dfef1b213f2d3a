// What an authenticated client may do, decided from the GMS-signed membership statements it has
// presented. No I/O and no clock: the plugin passes the time in, so tests drive it directly.
//
// Statements are recorded per identity key, not per connection: a statement is the GMS's word
// about a key, so it holds across reconnects (until it expires or its epoch is superseded). The
// epoch rule is the relay's own relay::MembershipGate: the highest epoch seen for a group (from
// any member's statement) is current; an older one works for `grace_ms` after the newer one
// was first seen, then stops — that is how a removal ends access, existing subscriptions too,
// since mosquitto asks again (read access) before every delivery.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/sign.h"
#include "relay/membership_gate.h"
#include "relay/types.h"
#include "twofold/v1/common.pb.h"

namespace twofold::mqtt_auth {

// Larger statements are refused before parsing (a real one is about 200 bytes).
inline constexpr std::size_t kStatementMaxBytes = 1024;
// Groups one key may hold statements for at once; bounds the memory a client can make us use.
inline constexpr std::size_t kMaxGroupsPerKey = 1024;

// What a statement that was admitted changed, for the caller to persist (statement_store.h).
struct Recorded {
    relay::MemberKey member;                 // whose statement it is (any client may present one)
    bool statement_changed = false;          // a newer epoch or expiry is now held for the key
    std::vector<relay::GroupEpoch> raised;   // groups whose current epoch it raised
};

// How long an absent member's queue is filled after its statement expired: the relay's retention
// (7 days), which is also the session expiry members ask for.
inline constexpr std::uint64_t kDefaultRetentionMs = 7ull * 24 * 3600 * 1000;

class AccessPolicy {
  public:
    AccessPolicy(crypto::SignPublicKey gms_key, std::uint64_t grace_ms, std::uint64_t retention_ms = kDefaultRetentionMs)
        : gms_key_(gms_key), gate_(gms_key, grace_ms), retention_ms_(retention_ms) {}

    // A publication on the statement topic of `group` by any client: checks the statement and
    // records it for the key it names (it is the GMS's word about that key, whoever shows it; a
    // member presents those of the members who joined since its last statement, so the broker
    // knows a joiner before anything is published under the joiner's epoch).
    // Errors name what was wrong: too_large, malformed, forbidden (other group, not signed by
    // the GMS), stale_epoch (expired, or an older epoch past its grace).
    Status present_statement(const relay::GroupId& group, std::string_view payload, std::uint64_t now_ms,
                             Recorded* recorded = nullptr);

    // After a restart: the groups' saved epochs first (so an older epoch does not become current
    // again), then each saved statement. A saved statement is kept while it still fills a queue
    // (expired statements too, for the retention); false if it no longer counts.
    void load_epochs(const std::vector<relay::GroupEpoch>& epochs) { gate_.load(epochs); }
    bool restore_statement(const relay::GroupId& group, std::string_view payload, std::uint64_t now_ms);

    // Subscribe to, or publish on, a topic (topics.h): needs a statement good now.
    Status may_subscribe(const relay::MemberKey& member, std::string_view topic, std::uint64_t now_ms) const;
    Status may_publish(const relay::MemberKey& member, std::string_view topic, std::uint64_t now_ms) const;

    // A delivery of a group envelope stamped `stamp` (envelope_stamp.h; nullopt: unstamped).
    // `may_receive` hands it to a connected client: a statement good now, of a membership that
    // covers the stamp. `may_queue` fills an absent member's session: a membership that covers
    // the stamp, whose statement may have expired or been superseded (the member is away and
    // cannot present), for the retention — mosquitto checks again, with may_receive, when the
    // member reconnects, after it presented a fresh statement. So an absence loses nothing, and a
    // removed member, which never gets a fresh statement, receives nothing.
    Status may_receive(const relay::MemberKey& member, std::string_view topic, std::optional<std::uint64_t> stamp,
                       std::uint64_t now_ms) const;
    Status may_queue(const relay::MemberKey& member, std::string_view topic, std::optional<std::uint64_t> stamp,
                     std::uint64_t now_ms) const;

    // The epoch to stamp on what `member` publishes to `group` (its held statement's).
    std::optional<std::uint64_t> publisher_epoch(const relay::MemberKey& member, const relay::GroupId& group) const;

    // A member's own session subscribed to the group (true if that is new). Until then the
    // broker queues nothing for it on the group's topic, so the plugin copies what is published
    // there into its session (awaiting_subscription).
    bool note_subscribed(const relay::MemberKey& member, const relay::GroupId& group);
    void load_subscriptions(const std::vector<std::pair<relay::MemberKey, relay::GroupId>>& subscribed);
    // The keys admitted to `group` whose membership covers `stamp` and whose session has not
    // subscribed yet: each is owed a copy of the publication.
    std::vector<relay::MemberKey> awaiting_subscription(const relay::GroupId& group, std::uint64_t stamp,
                                                        std::uint64_t now_ms) const;

  private:
    struct Held {
        std::uint64_t epoch = 0;
        std::uint64_t member_since = 0;
        std::uint64_t expires_unix = 0;  // the statement's, or the membership's validity if sooner
        std::uint64_t queue_until_ms = 0;
    };
    const Held* held(const relay::MemberKey& member, const relay::GroupId& group) const;
    Status holds_membership(const relay::MemberKey& member, const relay::GroupId& group, std::uint64_t now_ms) const;
    Status record(const relay::MemberKey& member, const relay::GroupId& group, const Held& presented,
                  std::uint64_t now_ms, Recorded* recorded);
    void forget_ended(const relay::MemberKey& member, std::uint64_t now_ms);
    Held held_from(const v1::MembershipStatement& statement) const;

    crypto::SignPublicKey gms_key_;
    relay::MembershipGate gate_;
    std::uint64_t retention_ms_;
    std::map<relay::MemberKey, std::map<relay::GroupId, Held>> held_;
    std::set<std::pair<relay::MemberKey, relay::GroupId>> subscribed_;
    std::map<relay::GroupId, std::set<relay::MemberKey>> unsubscribed_;  // held, not subscribed
};

}  // namespace twofold::mqtt_auth
