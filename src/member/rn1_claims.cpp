#include "member/rn1_claims.h"

#include <algorithm>

#include "member/group_keys.h"

namespace twofold::member {

namespace {

Status check_shape(const v1::Rn1Claim& claim) {
    if (claim.generation() == 0) return make_error(Errc::malformed, "rn1_claim.generation is 0");
    if (claim.account().empty() != claim.identity_key().empty()) {
        return make_error(Errc::malformed, "rn1_claim names an account without its key, or a key without its account");
    }
    if (!claim.identity_key().empty() && claim.identity_key().size() != crypto::kSignPublicKeyBytes) {
        return make_error(Errc::malformed, "rn1_claim.identity_key is not 32 bytes");
    }
    return {};
}

}  // namespace

Status Rn1Claims::learn(std::uint64_t current, const google::protobuf::RepeatedPtrField<v1::Rn1Claim>& claims) {
    for (const v1::Rn1Claim& c : claims) {
        if (auto s = check_shape(c); !s) return s;
        if (c.generation() > current) {
            return make_error(Errc::malformed, "rn1_claim of generation " + std::to_string(c.generation()) +
                                                   " is past the current generation " + std::to_string(current));
        }
    }
    current_ = std::max(current_, current);
    for (const v1::Rn1Claim& c : claims) take(c);
    prune();
    return {};
}

Status Rn1Claims::learn(const v1::Rn1Claim& claim) {
    if (auto s = check_shape(claim); !s) return s;
    current_ = std::max(current_, claim.generation());
    take(claim);
    prune();
    return {};
}

void Rn1Claims::take(const v1::Rn1Claim& claim) {
    std::optional<Claimer> claimer;
    if (!claim.account().empty()) {
        claimer.emplace();
        claimer->account = claim.account();
        std::copy(claim.identity_key().begin(), claim.identity_key().end(), claimer->identity_key.begin());
    }
    claimers_.emplace(claim.generation(), std::move(claimer));  // what the GMS said first stands
}

// The generations a member still holds RN1s of: the current one and the grace before it.
void Rn1Claims::prune() {
    while (!claimers_.empty() && claimers_.begin()->first + kDefaultGraceRekeys < current_) {
        claimers_.erase(claimers_.begin());
    }
}

Status Rn1Claims::check(std::uint64_t generation, const crypto::SignPublicKey& sender,
                        std::string_view sender_account) const {
    const std::string what = "RN1 generation " + std::to_string(generation);
    const std::string gms_current = "(its current generation is " + std::to_string(current_) + ")";
    const auto it = claimers_.find(generation);
    if (it == claimers_.end() && generation > current_) {
        return make_error(Errc::forbidden,
                          what + " from " + std::string(sender_account) + " was not claimed at the GMS " + gms_current);
    }
    if (it == claimers_.end()) {
        return make_error(Errc::stale_epoch, what + " from " + std::string(sender_account) +
                                                 " is older than the claims the GMS reports " + gms_current);
    }
    if (!it->second) return {};  // claimed before the GMS recorded claimers: nobody knows by whom
    if (it->second->identity_key != sender) {
        return make_error(Errc::forbidden, what + " was claimed at the GMS by " + it->second->account + ", not by " +
                                               std::string(sender_account));
    }
    return {};
}

}  // namespace twofold::member
