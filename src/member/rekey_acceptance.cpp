#include "member/rekey_acceptance.h"

#include "wire/signed_rekey.h"

namespace twofold::member {

Result<RekeyUse> accept_rekey(const v1::SignedRekey& rekey, const crypto::SignPublicKey& gms_key,
                              const std::string& group_id, HeldEpochs held) {
    // The signature first: nothing unsigned is worth a reason more specific than that.
    if (auto s = wire::verify_rekey(rekey, gms_key); !s) return s.error();
    const v1::Rekey& r = rekey.rekey();
    if (r.group_id() != group_id) return make_error(Errc::forbidden, "rekey is for another group");
    if (held.newest == 0 || r.epoch() > held.newest) return RekeyUse::apply;
    if (r.epoch() >= held.oldest) return RekeyUse::duplicate;
    return make_error(Errc::stale_epoch, "rekey of RN2 epoch " + std::to_string(r.epoch()) + " is older than epoch " +
                                             std::to_string(held.oldest) + " this member holds (a replay)");
}

}  // namespace twofold::member
