#include "crypto/key_schedule.h"

#include <cassert>

namespace twofold::crypto {

EpochKeySchedule::EpochKeySchedule(const GroupKey& gk) : prk_(hkdf_extract(as_bytes(label::kEpochSalt), gk.span())) {
    const Bytes info = labelled_info(label::kKeyConfirmation, {});
    const Status s = hkdf_expand(prk_.span(), info, confirmation_id_);
    assert(s.ok());  // fixed, small output length
    (void)s;
}

AeadKey EpochKeySchedule::message_key(const SignPublicKey& sender, std::uint64_t sequence) const {
    AeadKey key;
    message_key_into(sender, sequence, key);
    return key;
}

void EpochKeySchedule::message_key_into(const SignPublicKey& sender, std::uint64_t sequence, AeadKey& out) const {
    FixedBytes<kSignPublicKeyBytes + 8> context{};
    std::copy(sender.begin(), sender.end(), context.begin());
    for (int i = 0; i < 8; ++i) context[kSignPublicKeyBytes + i] = static_cast<std::uint8_t>(sequence >> (56 - 8 * i));
    const Status s = hkdf_expand(prk_.span(), labelled_info(label::kMessageKey, context), out.mutable_span());
    assert(s.ok());
    (void)s;
}

}  // namespace twofold::crypto
