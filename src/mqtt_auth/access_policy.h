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
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/sign.h"
#include "relay/membership_gate.h"
#include "relay/types.h"

namespace twofold::mqtt_auth {

// Larger statements are refused before parsing (a real one is about 200 bytes).
inline constexpr std::size_t kStatementMaxBytes = 1024;
// Groups one key may hold statements for at once; bounds the memory a client can make us use.
inline constexpr std::size_t kMaxGroupsPerKey = 1024;

// What a statement that was admitted changed, for the caller to persist (statement_store.h).
struct Recorded {
    bool statement_changed = false;          // a newer epoch or expiry is now held for the key
    std::vector<relay::GroupEpoch> raised;   // groups whose current epoch it raised
};

class AccessPolicy {
  public:
    AccessPolicy(crypto::SignPublicKey gms_key, std::uint64_t grace_ms) : gms_key_(gms_key), gate_(gms_key, grace_ms) {}

    // A publication on the statement topic of `group` by `member`: checks and records it.
    // Errors name what was wrong: too_large, malformed, forbidden (other group or key, not signed
    // by the GMS), stale_epoch (expired, or an older epoch past its grace).
    // `recorded`, if given, says what changed.
    Status present_statement(const relay::MemberKey& member, const relay::GroupId& group, std::string_view payload,
                             std::uint64_t now_ms, Recorded* recorded = nullptr);

    // The groups' current epochs as saved before a restart, so an older epoch does not become
    // current again (load them before re-presenting the saved statements).
    void load_epochs(const std::vector<relay::GroupEpoch>& epochs) { gate_.load(epochs); }

    // Subscribe to, receive from, or publish on a topic (topics.h). forbidden names the reason.
    Status may_subscribe(const relay::MemberKey& member, std::string_view topic, std::uint64_t now_ms) const;
    Status may_receive(const relay::MemberKey& member, std::string_view topic, std::uint64_t now_ms) const;
    Status may_publish(const relay::MemberKey& member, std::string_view topic, std::uint64_t now_ms) const;

  private:
    struct Held {
        std::uint64_t epoch = 0;
        std::uint64_t expires_unix = 0;
    };
    Status holds_membership(const relay::MemberKey& member, const relay::GroupId& group, std::uint64_t now_ms) const;
    void forget_expired(std::map<relay::GroupId, Held>& groups, std::uint64_t now_ms);

    crypto::SignPublicKey gms_key_;
    relay::MembershipGate gate_;
    std::map<relay::MemberKey, std::map<relay::GroupId, Held>> held_;
};

}  // namespace twofold::mqtt_auth
