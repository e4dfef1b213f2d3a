#include "member/rekey_acceptance.h"

#include "wire/signed_rekey.h"

namespace twofold::member {

Result<RekeyUse> accept_rekey(const v1::SignedRekey& rekey, const crypto::SignPublicKey& gms_key,
                              const std::string& group_id, std::uint64_t held_epoch) {
    // The signature first: nothing unsigned is worth a reason more specific than that.
    if (auto s = wire::verify_rekey(rekey, gms_key); !s) return s.error();
    const v1::Rekey& r = rekey.rekey();
    if (r.group_id() != group_id) return make_error(Errc::forbidden, "rekey is for another group");
    if (r.epoch() == held_epoch) return RekeyUse::duplicate;
    if (r.epoch() < held_epoch) {
        return make_error(Errc::stale_epoch, "rekey of RN2 epoch " + std::to_string(r.epoch()) +
                                                 " is older than epoch " + std::to_string(held_epoch) +
                                                 " this member holds (a replay or a late copy)");
    }
    return RekeyUse::apply;
}

}  // namespace twofold::member
