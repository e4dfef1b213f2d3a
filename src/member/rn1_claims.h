// Who may deliver a rotation's RN1: the member whose claim of that generation the GMS accepted.
// The GMS orders RN1 generations (it learns the number, never the value) and says who claimed
// each recent one — in the login's group statuses, in welcomes and in the answer to a claim, over
// the pinned TLS connection, the trust members already place in it for the numbers. Taking a
// rotation's RN1 only from that claimer means a member that lost the race, or never claimed,
// cannot fork the group by sending an RN1 of its own for the same generation.
//
// Pure: the session feeds it what the GMS said and asks it about each rotation delivery.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/repeated_ptr_field.h>

#include "core/result.h"
#include "crypto/sign.h"
#include "twofold/v1/gms.pb.h"

namespace twofold::member {

class Rn1Claims {
  public:
    // What the GMS says: the group's current generation and the claims it reports (the current
    // one and up to two before). A claim without an account is of a generation claimed before
    // the GMS recorded claimers. What it said first about a generation stands. Checks every
    // claim before taking any (malformed, naming the field).
    Status learn(std::uint64_t current, const google::protobuf::RepeatedPtrField<v1::Rn1Claim>& claims);
    // The answer to a claim: the group's current generation is the claim's.
    Status learn(const v1::Rn1Claim& claim);

    // The newest generation the GMS has said is current (0: nothing heard yet).
    std::uint64_t current() const noexcept { return current_; }
    // Worth asking the GMS before checking a delivery of `generation`: it is newer than anything
    // heard here. An older generation's claimer never changes, so asking again cannot help.
    bool should_ask(std::uint64_t generation) const noexcept {
        return generation > current_ && !claimers_.contains(generation);
    }

    // May `sender` deliver a rotation's RN1 of `generation`? Refused (forbidden) when another
    // member claimed it ("RN1 generation 3 was claimed at the GMS by carol, not by bob") or
    // nobody did; stale_epoch when it is older than the claims heard of. A generation claimed
    // before the GMS recorded claimers is open to any member, as it was before.
    Status check(std::uint64_t generation, const crypto::SignPublicKey& sender, std::string_view sender_account) const;

  private:
    struct Claimer {
        std::string account;
        crypto::SignPublicKey identity_key{};
    };
    void take(const v1::Rn1Claim& claim);  // checked already
    void prune();

    std::uint64_t current_ = 0;
    std::map<std::uint64_t, std::optional<Claimer>> claimers_;  // nullopt: the GMS does not know
};

}  // namespace twofold::member
