#include "member/direct_signalling.h"

#include <algorithm>
#include <string_view>

#include "crypto/seal.h"
#include "crypto/x25519.h"
#include "member/signed_bytes.h"
#include "member/signed_messages.h"
#include "wire/validate.h"

namespace twofold::member {

namespace {

constexpr std::string_view kOfferLabel = "twofold/v1 direct offer";
constexpr std::string_view kAnswerLabel = "twofold/v1 direct answer";
constexpr std::string_view kPrologueLabel = "twofold/v1 direct noise prologue";

void ice_bytes(SignedBytes& b, const v1::DirectIce& ice) {
    b.variable(ice.ufrag()).variable(ice.pwd()).u64(static_cast<std::uint64_t>(ice.candidates_size()));
    for (const auto& c : ice.candidates()) b.variable(c);
}

SignedBytes offer_bytes(const v1::DirectOffer& o) {
    SignedBytes b(kOfferLabel);
    b.fixed(o.group_id()).fixed(o.invitation_nonce()).fixed(o.inviter_key()).fixed(o.invitee_key());
    b.u64(o.attempt()).u64(o.expires_unix()).variable(o.inviter_account()).variable(o.sealed_group_name());
    ice_bytes(b, o.ice());
    b.fixed(o.cpace_point());
    return b;
}

SignedBytes answer_bytes(const v1::DirectAnswer& a) {
    SignedBytes b(kAnswerLabel);
    b.fixed(a.group_id()).fixed(a.invitation_nonce()).fixed(a.inviter_key()).fixed(a.invitee_key());
    b.u64(a.attempt()).fixed(a.offer_hash());
    ice_bytes(b, a.ice());
    b.fixed(a.cpace_point());
    return b;
}

bool printable(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

Status check_field(std::string_view what, const std::string& field, std::size_t min, std::size_t max) {
    if (field.size() < min || field.size() > max) {
        return make_error(field.size() > max ? Errc::too_large : Errc::malformed,
                          std::string(what) + " must be " + std::to_string(min) + "-" + std::to_string(max) +
                              " bytes, not " + std::to_string(field.size()));
    }
    if (!printable(field)) return make_error(Errc::malformed, std::string(what) + " holds a non-printable byte");
    return {};
}

Status check_attempt(std::string_view what, std::uint32_t attempt) {
    if (attempt < 1 || attempt > kDirectMaxAttempts) {
        return make_error(Errc::malformed, std::string(what) + " attempt must be 1-" +
                                               std::to_string(kDirectMaxAttempts) + ", not " + std::to_string(attempt));
    }
    return {};
}

// The fields both messages share, checked the same way.
Status check_common(std::string_view what, const std::string& group_id, const std::string& nonce,
                    const std::string& inviter_key, const std::string& invitee_key, std::uint32_t attempt,
                    const std::string& cpace_point, const std::string& signature) {
    const std::string w(what);
    for (auto s : {check_size(w + " group id", group_id, wire::kGroupIdBytes),
                   check_size(w + " invitation nonce", nonce, wire::kInvitationNonceBytes),
                   check_size(w + " inviter key", inviter_key, crypto::kSignPublicKeyBytes),
                   check_size(w + " invitee key", invitee_key, crypto::kSignPublicKeyBytes),
                   check_size(w + " CPace point", cpace_point, handshake::kCpacePointBytes),
                   check_size(w + " signature", signature, crypto::kSignatureBytes), check_attempt(w, attempt)}) {
        if (!s) return s;
    }
    return {};
}

bool same_key(const std::string& field, const crypto::SignPublicKey& key) {
    return field.size() == key.size() && std::equal(key.begin(), key.end(), as_bytes(field).begin());
}

}  // namespace

Status check_direct_ice(std::string_view what, const v1::DirectIce& ice) {
    const std::string w(what);
    if (auto s = check_field(w + " ICE ufrag", ice.ufrag(), kDirectUfragMinBytes, kDirectIceFieldMaxBytes); !s) return s;
    if (auto s = check_field(w + " ICE pwd", ice.pwd(), kDirectPwdMinBytes, kDirectIceFieldMaxBytes); !s) return s;
    if (ice.candidates_size() == 0) return make_error(Errc::malformed, w + " names no ICE candidate");
    if (static_cast<std::size_t>(ice.candidates_size()) > kDirectMaxCandidates) {
        return make_error(Errc::too_large, w + " names " + std::to_string(ice.candidates_size()) +
                                               " ICE candidates, above " + std::to_string(kDirectMaxCandidates));
    }
    for (const auto& c : ice.candidates()) {
        if (auto s = check_field(w + " ICE candidate", c, 1, kDirectCandidateMaxBytes); !s) return s;
    }
    return {};
}

Result<v1::DirectOffer> make_direct_offer(const crypto::SigningKey& inviter, const DirectOfferInputs& in) {
    if (in.group_name == nullptr) return make_error(Errc::invalid_argument, "direct offer without a group name");
    auto x_invitee = crypto::x25519_public_from_ed25519(in.invitee_key);
    if (!x_invitee) return x_invitee.error();
    auto sealed_name = crypto::seal_to(*x_invitee, in.group_name->bytes());
    if (!sealed_name) return sealed_name.error();
    v1::DirectOffer o;
    o.set_group_id(as_string(in.group_id));
    o.set_invitation_nonce(as_string(in.invitation_nonce));
    o.set_inviter_key(as_string(inviter.public_key()));
    o.set_invitee_key(as_string(in.invitee_key));
    o.set_attempt(in.attempt);
    o.set_expires_unix(in.expires_unix);
    o.set_inviter_account(in.inviter_account);
    o.set_sealed_group_name(as_string(*sealed_name));
    *o.mutable_ice() = in.ice;
    o.set_cpace_point(as_string(in.cpace_point));
    *o.mutable_inviter_statement() = in.inviter_statement;
    if (auto s = check_direct_ice("direct offer", o.ice()); !s) return s.error();
    o.set_signature(sign(inviter, offer_bytes(o)));
    return o;
}

Status verify_direct_offer(const v1::DirectOffer& o, const crypto::SignPublicKey& me,
                           const crypto::SignPublicKey& gms_key, std::uint64_t now_unix) {
    if (auto s = check_common("direct offer", o.group_id(), o.invitation_nonce(), o.inviter_key(), o.invitee_key(),
                              o.attempt(), o.cpace_point(), o.signature());
        !s) {
        return s;
    }
    if (auto s = check_account("direct offer inviter account", o.inviter_account()); !s) return s;
    if (auto s = check_direct_ice("direct offer", o.ice()); !s) return s;
    if (!same_key(o.invitee_key(), me)) return make_error(Errc::forbidden, "direct offer is addressed to another identity key");
    if (auto s = check_signature("direct offer", o.inviter_key(), offer_bytes(o), o.signature()); !s) return s;
    if (o.expires_unix() <= now_unix) {
        return make_error(Errc::stale_epoch, "direct offer expired (the inviter stopped waiting)");
    }
    if (auto s = check_inviter_statement(o.inviter_statement(), o.group_id(), o.inviter_key(), o.inviter_account(),
                                         gms_key, now_unix);
        !s) {
        return make_error(s.error().code, "direct offer: " + s.error().message);
    }
    return {};
}

Status check_offer_fresh(const v1::DirectOffer& offer, std::uint32_t answered_attempt) {
    if (offer.attempt() <= answered_attempt) {
        return make_error(Errc::stale_epoch, "replayed direct offer: attempt " + std::to_string(offer.attempt()) +
                                                 " of this invitation was already answered (attempt " +
                                                 std::to_string(answered_attempt) + ")");
    }
    return {};
}

crypto::Sha256Digest direct_offer_hash(const v1::DirectOffer& offer) { return crypto::sha256(offer_bytes(offer).bytes()); }
crypto::Sha256Digest direct_answer_hash(const v1::DirectAnswer& answer) {
    return crypto::sha256(answer_bytes(answer).bytes());
}

v1::DirectAnswer make_direct_answer(const crypto::SigningKey& invitee, const v1::DirectOffer& offer,
                                    const v1::DirectIce& ice, const handshake::CpacePoint& cpace_point) {
    v1::DirectAnswer a;
    a.set_group_id(offer.group_id());
    a.set_invitation_nonce(offer.invitation_nonce());
    a.set_inviter_key(offer.inviter_key());
    a.set_invitee_key(as_string(invitee.public_key()));
    a.set_attempt(offer.attempt());
    a.set_offer_hash(as_string(direct_offer_hash(offer)));
    *a.mutable_ice() = ice;
    a.set_cpace_point(as_string(cpace_point));
    a.set_signature(sign(invitee, answer_bytes(a)));
    return a;
}

Status verify_direct_answer(const v1::DirectAnswer& a, const v1::DirectOffer& offer) {
    if (auto s = check_common("direct answer", a.group_id(), a.invitation_nonce(), a.inviter_key(), a.invitee_key(),
                              a.attempt(), a.cpace_point(), a.signature());
        !s) {
        return s;
    }
    if (auto s = check_size("direct answer offer hash", a.offer_hash(), crypto::kSha256Bytes); !s) return s;
    if (auto s = check_direct_ice("direct answer", a.ice()); !s) return s;
    if (a.group_id() != offer.group_id() || a.invitation_nonce() != offer.invitation_nonce() ||
        a.inviter_key() != offer.inviter_key()) {
        return make_error(Errc::forbidden, "direct answer is for another invitation");
    }
    if (a.invitee_key() != offer.invitee_key()) {
        return make_error(Errc::auth_failed, "direct answer key differs from the key the GMS registered for the invitee");
    }
    if (a.attempt() != offer.attempt()) {
        return make_error(Errc::stale_epoch, "replayed direct answer: it answers attempt " + std::to_string(a.attempt()) +
                                                 ", the offer outstanding is attempt " + std::to_string(offer.attempt()));
    }
    if (auto s = check_signature("direct answer", a.invitee_key(), answer_bytes(a), a.signature()); !s) return s;
    if (a.offer_hash() != as_string(direct_offer_hash(offer))) {
        return make_error(Errc::auth_failed, "direct answer answers another offer than the one sent (altered in transit)");
    }
    return {};
}

Bytes direct_cpace_sid(const std::string& invitation_nonce, std::uint32_t attempt) {
    Bytes sid(as_bytes(invitation_nonce).begin(), as_bytes(invitation_nonce).end());
    sid.push_back(static_cast<std::uint8_t>(attempt));
    return sid;
}

Bytes direct_noise_prologue(const v1::DirectOffer& offer, const v1::DirectAnswer& answer) {
    SignedBytes b(kPrologueLabel);
    b.fixed(offer.group_id()).fixed(offer.invitation_nonce()).fixed(offer.inviter_key()).fixed(offer.invitee_key());
    b.u64(offer.attempt()).fixed(as_string(direct_offer_hash(offer))).fixed(as_string(direct_answer_hash(answer)));
    return b.bytes();
}

}  // namespace twofold::member
