#include "member/signed_messages.h"

#include <string_view>

#include "crypto/random.h"
#include "crypto/seal.h"
#include "crypto/x25519.h"
#include "member/signed_bytes.h"
#include "wire/statement.h"
#include "wire/validate.h"

namespace twofold::member {

namespace {

constexpr std::string_view kInvitationLabel = "twofold/v1 invitation";
constexpr std::string_view kAcceptanceLabel = "twofold/v1 acceptance";
constexpr std::string_view kRn1DeliveryLabel = "twofold/v1 rn1 delivery";
constexpr std::string_view kWithdrawalLabel = "twofold/v1 withdrawal";

SignedBytes invitation_bytes(const v1::Invitation& i) {
    SignedBytes b(kInvitationLabel);
    b.fixed(i.group_id()).rights(i.rights()).fixed(i.inviter_key()).fixed(i.invitee_key()).fixed(i.nonce());
    b.variable(i.inviter_account()).variable(i.sealed_group_name());
    return b;
}

SignedBytes acceptance_bytes(const v1::Acceptance& a) {
    SignedBytes b(kAcceptanceLabel);
    b.fixed(a.group_id()).fixed(a.invitation_nonce()).fixed(a.invitee_key()).variable(a.invitee_account());
    return b;
}

SignedBytes rn1_delivery_bytes(const v1::Rn1Delivery& d) {
    SignedBytes b(kRn1DeliveryLabel);
    b.fixed(d.group_id()).u64(d.rn1_generation()).variable(d.invitation_nonce()).variable(d.sealed());
    b.fixed(d.sender_key());
    return b;
}

SignedBytes withdrawal_bytes(const v1::Withdrawal& w) {
    SignedBytes b(kWithdrawalLabel);
    b.fixed(w.group_id()).fixed(w.removed_key()).u64(w.epoch()).fixed(w.sender_key()).variable(w.removed_account());
    return b;
}

// An inviter may grant only rights it holds itself (the paper's rule, enforced by the GMS too).
bool grants_within(const v1::Rights& granted, const v1::Rights& held) {
    return (!granted.may_invite() || held.may_invite()) && (!granted.may_remove() || held.may_remove());
}

}  // namespace

Result<v1::Invitation> make_invitation(const crypto::SigningKey& inviter, const std::string& inviter_account,
                                       ByteView group_id, const crypto::GroupName& group_name, const v1::Rights& rights,
                                       const crypto::SignPublicKey& invitee_key,
                                       const v1::MembershipStatement& inviter_statement) {
    auto x_invitee = crypto::x25519_public_from_ed25519(invitee_key);
    if (!x_invitee) return x_invitee.error();
    auto sealed_name = crypto::seal_to(*x_invitee, group_name.bytes());
    if (!sealed_name) return sealed_name.error();

    v1::Invitation i;
    i.set_group_id(as_string(group_id));
    *i.mutable_rights() = rights;
    i.set_inviter_key(as_string(inviter.public_key()));
    i.set_invitee_key(as_string(invitee_key));
    i.set_nonce(as_string(crypto::random_array<kInvitationNonceBytes>()));
    i.set_inviter_account(inviter_account);
    i.set_sealed_group_name(as_string(*sealed_name));
    *i.mutable_inviter_statement() = inviter_statement;
    i.set_signature(sign(inviter, invitation_bytes(i)));
    return i;
}

Status verify_invitation(const v1::Invitation& i, const crypto::SignPublicKey& me, const crypto::SignPublicKey& gms_key,
                         std::uint64_t now_unix) {
    for (auto s : {check_size("invitation group id", i.group_id(), wire::kGroupIdBytes),
                   check_size("invitation inviter key", i.inviter_key(), crypto::kSignPublicKeyBytes),
                   check_size("invitation invitee key", i.invitee_key(), crypto::kSignPublicKeyBytes),
                   check_size("invitation nonce", i.nonce(), kInvitationNonceBytes),
                   check_size("invitation signature", i.signature(), crypto::kSignatureBytes),
                   check_account("invitation inviter account", i.inviter_account())}) {
        if (!s) return s;
    }
    if (as_bytes(i.invitee_key()).size() != me.size() ||
        !std::equal(me.begin(), me.end(), as_bytes(i.invitee_key()).begin())) {
        return make_error(Errc::forbidden, "invitation is addressed to another identity key");
    }
    if (auto s = check_signature("invitation", i.inviter_key(), invitation_bytes(i), i.signature()); !s) return s;

    const v1::MembershipStatement& st = i.inviter_statement();
    if (auto s = check_inviter_statement(st, i.group_id(), i.inviter_key(), i.inviter_account(), gms_key, now_unix); !s) {
        return s;
    }
    if (!grants_within(i.rights(), st.rights())) {
        return make_error(Errc::forbidden, "invitation grants rights its inviter does not hold");
    }
    return {};
}

Status check_inviter_statement(const v1::MembershipStatement& st, const std::string& group_id,
                               const std::string& inviter_key, const std::string& inviter_account,
                               const crypto::SignPublicKey& gms_key, std::uint64_t now_unix) {
    if (auto s = wire::verify_statement(st, gms_key, now_unix); !s) {
        return make_error(s.error().code, "inviter's " + s.error().message);
    }
    if (st.group_id() != group_id || st.identity_key() != inviter_key || st.account() != inviter_account) {
        return make_error(Errc::forbidden, "inviter's membership statement is for another group, key or account");
    }
    if (!st.rights().may_invite()) {
        return make_error(Errc::forbidden, "inviter " + inviter_account + " lacks may_invite in this group");
    }
    return {};
}

Result<crypto::GroupName> open_invitation_group_name(const v1::Invitation& i, const crypto::SigningKey& invitee) {
    auto opened =
        crypto::open_sealed(crypto::X25519KeyPair::from_signing_key(invitee), as_bytes(i.sealed_group_name()));
    if (!opened) return make_error(opened.error().code, "invitation's group name does not open with this identity key");
    const ByteView plain = opened->span();
    auto name = crypto::GroupName::parse(std::string_view(reinterpret_cast<const char*>(plain.data()), plain.size()));
    if (!name) return make_error(Errc::malformed, "invitation's group name: " + name.error().message);
    return name;
}

v1::Acceptance make_acceptance(const crypto::SigningKey& invitee, const std::string& invitee_account,
                               const v1::Invitation& invitation) {
    v1::Acceptance a;
    a.set_group_id(invitation.group_id());
    a.set_invitation_nonce(invitation.nonce());
    a.set_invitee_key(as_string(invitee.public_key()));
    a.set_invitee_account(invitee_account);
    a.set_signature(sign(invitee, acceptance_bytes(a)));
    return a;
}

Status verify_acceptance(const v1::Acceptance& a, const v1::Invitation& sent) {
    if (auto s = check_size("acceptance signature", a.signature(), crypto::kSignatureBytes); !s) return s;
    if (a.group_id() != sent.group_id() || a.invitation_nonce() != sent.nonce()) {
        return make_error(Errc::unknown, "acceptance answers no invitation this member sent");
    }
    if (a.invitee_key() != sent.invitee_key()) {
        return make_error(Errc::forbidden, "acceptance key differs from the key the GMS registered for " +
                                               a.invitee_account() + ": refusing it (a key was swapped in transit)");
    }
    return check_signature("acceptance", a.invitee_key(), acceptance_bytes(a), a.signature());
}

Result<v1::Rn1Delivery> make_rn1_delivery(const crypto::SigningKey& sender, ByteView group_id, std::uint64_t generation,
                                          ByteView invitation_nonce, const crypto::Rn1& rn1,
                                          const crypto::GroupName& name, const crypto::SignPublicKey& recipient) {
    auto x_recipient = crypto::x25519_public_from_ed25519(recipient);
    if (!x_recipient) return x_recipient.error();
    crypto::SecretBuffer plain(crypto::kRn1Bytes + name.bytes().size());
    std::copy(rn1.span().begin(), rn1.span().end(), plain.mutable_span().begin());
    std::copy(name.bytes().begin(), name.bytes().end(), plain.mutable_span().begin() + crypto::kRn1Bytes);
    auto sealed = crypto::seal_to(*x_recipient, plain.span());
    if (!sealed) return sealed.error();

    v1::Rn1Delivery d;
    d.set_group_id(as_string(group_id));
    d.set_rn1_generation(generation);
    d.set_invitation_nonce(as_string(invitation_nonce));
    d.set_sealed(as_string(*sealed));
    d.set_sender_key(as_string(sender.public_key()));
    d.set_signature(sign(sender, rn1_delivery_bytes(d)));
    return d;
}

Result<Rn1Contents> open_rn1_delivery(const v1::Rn1Delivery& d, const crypto::SigningKey& recipient) {
    for (auto s : {check_size("rn1 delivery group id", d.group_id(), wire::kGroupIdBytes),
                   check_size("rn1 delivery sender key", d.sender_key(), crypto::kSignPublicKeyBytes),
                   check_size("rn1 delivery signature", d.signature(), crypto::kSignatureBytes)}) {
        if (!s) return s.error();
    }
    if (!d.invitation_nonce().empty()) {
        if (auto s = check_size("rn1 delivery nonce", d.invitation_nonce(), kInvitationNonceBytes); !s)
            return s.error();
    }
    if (auto s = check_signature("rn1 delivery", d.sender_key(), rn1_delivery_bytes(d), d.signature()); !s) {
        return s.error();
    }
    auto opened = crypto::open_sealed(crypto::X25519KeyPair::from_signing_key(recipient), as_bytes(d.sealed()));
    if (!opened) return make_error(opened.error().code, "rn1 delivery does not open with this identity key");
    const ByteView plain = opened->span();
    if (plain.size() <= crypto::kRn1Bytes) return make_error(Errc::malformed, "rn1 delivery holds no group name");
    const ByteView name_bytes = plain.subspan(crypto::kRn1Bytes);
    auto name =
        crypto::GroupName::parse(std::string_view(reinterpret_cast<const char*>(name_bytes.data()), name_bytes.size()));
    if (!name) return make_error(Errc::malformed, "rn1 delivery: " + name.error().message);
    return Rn1Contents{crypto::Rn1::copy_of(plain.first<crypto::kRn1Bytes>()), std::move(*name)};
}

v1::Withdrawal make_withdrawal(const crypto::SigningKey& sender, ByteView group_id,
                               const crypto::SignPublicKey& removed_key, const std::string& removed_account,
                               std::uint64_t membership_epoch) {
    v1::Withdrawal w;
    w.set_group_id(as_string(group_id));
    w.set_removed_key(as_string(removed_key));
    w.set_epoch(membership_epoch);
    w.set_sender_key(as_string(sender.public_key()));
    w.set_removed_account(removed_account);
    w.set_signature(sign(sender, withdrawal_bytes(w)));
    return w;
}

Status verify_withdrawal(const v1::Withdrawal& w) {
    for (auto s : {check_size("withdrawal group id", w.group_id(), wire::kGroupIdBytes),
                   check_size("withdrawal removed key", w.removed_key(), crypto::kSignPublicKeyBytes),
                   check_size("withdrawal sender key", w.sender_key(), crypto::kSignPublicKeyBytes),
                   check_size("withdrawal signature", w.signature(), crypto::kSignatureBytes)}) {
        if (!s) return s;
    }
    return check_signature("withdrawal", w.sender_key(), withdrawal_bytes(w), w.signature());
}

}  // namespace twofold::member
