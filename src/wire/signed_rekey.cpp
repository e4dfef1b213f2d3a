#include "wire/signed_rekey.h"

#include <string_view>

#include "wire/message.h"
#include "wire/validate.h"

namespace twofold::wire {

namespace {

constexpr std::string_view kRekeyLabel = "twofold/v1 rekey";

void put_be(Bytes& out, std::uint64_t v, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

Status validate_event(const v1::MembershipEvent& e, int index) {
    const std::string which = "rekey.events[" + std::to_string(index) + "]";
    if (auto s = validate_account(e.account()); !s) return make_error(Errc::malformed, which + ": " + s.error().message);
    if (e.change() != v1::MemberNotification::CHANGE_ADD && e.change() != v1::MemberNotification::CHANGE_REMOVE &&
        e.change() != v1::MemberNotification::CHANGE_LEAVE) {
        return make_error(Errc::malformed, which + ".change is not add, remove or leave");
    }
    if (e.identity_key().size() != kIdentityKeyBytes) {
        return make_error(Errc::malformed, which + ".identity_key must be 32 bytes");
    }
    return {};
}

}  // namespace

Status validate(const v1::Rekey& r) {
    if (r.group_id().size() != kGroupIdBytes) return make_error(Errc::malformed, "rekey.group_id must be 16 bytes");
    if (r.epoch() == 0) return make_error(Errc::malformed, "rekey.epoch must be at least 1");
    if (r.lkh_message().empty()) return make_error(Errc::malformed, "rekey.lkh_message is empty");
    if (r.lkh_message().size() > kRekeyLkhMaxBytes) {
        return make_error(Errc::too_large, "rekey.lkh_message of " + std::to_string(r.lkh_message().size()) +
                                               " bytes exceeds " + std::to_string(kRekeyLkhMaxBytes));
    }
    if (static_cast<std::size_t>(r.events_size()) > kRekeyMaxEvents) {
        return make_error(Errc::too_large, "rekey has " + std::to_string(r.events_size()) + " events, more than " +
                                               std::to_string(kRekeyMaxEvents));
    }
    for (int i = 0; i < r.events_size(); ++i) {
        if (auto s = validate_event(r.events(i), i); !s) return s;
    }
    return {};
}

Bytes rekey_signed_bytes(const v1::Rekey& r) {
    Bytes out(kRekeyLabel.begin(), kRekeyLabel.end());
    out.push_back(0x00);
    append(out, as_bytes(r.group_id()));
    put_be(out, r.epoch(), 8);
    put_be(out, r.membership_epoch(), 8);
    put_be(out, r.lkh_message().size(), 4);  // validated: at most kRekeyLkhMaxBytes
    append(out, as_bytes(r.lkh_message()));
    put_be(out, static_cast<std::uint64_t>(r.events_size()), 2);  // validated: at most kRekeyMaxEvents
    for (const auto& e : r.events()) {
        out.push_back(static_cast<std::uint8_t>(e.account().size()));  // validated: at most 64
        append(out, as_bytes(e.account()));
        out.push_back(static_cast<std::uint8_t>(e.change()));
        out.push_back(static_cast<std::uint8_t>((e.rights().may_invite() ? 1 : 0) | (e.rights().may_remove() ? 2 : 0)));
        append(out, as_bytes(e.identity_key()));
    }
    return out;
}

v1::SignedRekey sign_rekey(v1::Rekey rekey, const crypto::SigningKey& gms_key) {
    v1::SignedRekey out;
    const crypto::Signature sig = gms_key.sign(rekey_signed_bytes(rekey));
    *out.mutable_rekey() = std::move(rekey);
    out.set_gms_signature(std::string(sig.begin(), sig.end()));
    return out;
}

Status verify_rekey(const v1::SignedRekey& signed_rekey, const crypto::SignPublicKey& gms_key) {
    if (!signed_rekey.has_rekey()) return make_error(Errc::malformed, "signed rekey carries no rekey");
    if (auto s = validate(signed_rekey.rekey()); !s) return s;
    if (signed_rekey.gms_signature().size() != kSignatureBytes) {
        return make_error(Errc::malformed, "rekey gms_signature must be 64 bytes");
    }
    if (!crypto::verify_signature(gms_key, rekey_signed_bytes(signed_rekey.rekey()),
                                  as_bytes(signed_rekey.gms_signature()))) {
        return make_error(Errc::auth_failed, "rekey signature does not verify with the GMS key");
    }
    return {};
}

Result<v1::SignedRekey> parse_signed_rekey(ByteView encoded, const crypto::SignPublicKey& gms_key) {
    auto parsed = parse_message<v1::SignedRekey>(encoded);
    if (!parsed) return parsed.error();
    if (auto s = verify_rekey(*parsed, gms_key); !s) return s.error();
    return parsed;
}

}  // namespace twofold::wire
