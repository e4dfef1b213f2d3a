// Arbitrary bytes as a direct-route offer or answer (the first byte picks which): parsing and
// every check must refuse or accept, never crash, leak or hang.
#include <cstddef>
#include <cstdint>

#include "member/direct_signalling.h"
#include "wire/message.h"
#include "wire/statement.h"

namespace {

using namespace twofold;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto me = crypto::SigningKey::generate();
    static const auto gms = crypto::SigningKey::generate();
    if (size == 0 || size > member::kDirectSignallingMaxBytes) return 0;
    const ByteView body(data + 1, size - 1);
    if (data[0] & 1) {
        auto offer = wire::parse_message<v1::DirectOffer>(body);
        if (!offer) return 0;
        if (member::verify_direct_offer(*offer, me.public_key(), gms.public_key(), 1'800'000'000)) {
            (void)member::check_offer_fresh(*offer, 1);
        }
        (void)member::direct_offer_hash(*offer);
    } else {
        auto answer = wire::parse_message<v1::DirectAnswer>(body);
        if (!answer) return 0;
        v1::DirectOffer offer;
        offer.set_group_id(answer->group_id());
        offer.set_invitation_nonce(answer->invitation_nonce());
        offer.set_inviter_key(answer->inviter_key());
        offer.set_invitee_key(answer->invitee_key());
        offer.set_attempt(answer->attempt());
        (void)member::verify_direct_answer(*answer, offer);
        (void)member::direct_noise_prologue(offer, *answer);
    }
    return 0;
}
