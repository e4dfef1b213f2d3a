#include "wire/validate.h"

#include <string>

namespace twofold::wire {

namespace {

Status exact_size(const char* field, const std::string& value, std::size_t size) {
    if (value.size() != size) {
        return make_error(Errc::malformed, std::string(field) + " must be " + std::to_string(size) + " bytes, got " +
                                               std::to_string(value.size()));
    }
    return {};
}

Status account_name(const char* field, const std::string& value) {
    if (value.empty() || value.size() > kAccountMaxBytes) {
        return make_error(Errc::malformed, std::string(field) + " must be 1-" + std::to_string(kAccountMaxBytes) +
                                               " bytes, got " + std::to_string(value.size()));
    }
    for (const char c : value) {
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                             c == '-' || c == '_' || c == '.' || c == '@';
        if (!allowed) {
            return make_error(Errc::malformed, std::string(field) + " may hold only letters, digits and -_.@");
        }
    }
    return {};
}

}  // namespace

Status validate_account(const std::string& account) { return account_name("account", account); }

namespace {

// Runs checks in order and stops at the first failure.
template <class... Checks>
Status all_of(Checks&&... checks) {
    Status result;
    ((result.ok() ? (void)(result = checks()) : (void)0), ...);
    return result;
}

}  // namespace

Status validate(const v1::MembershipStatement& m) {
    return all_of([&] { return exact_size("statement.group_id", m.group_id(), kGroupIdBytes); },
                  [&] { return exact_size("statement.identity_key", m.identity_key(), kIdentityKeyBytes); },
                  [&] { return account_name("statement.account", m.account()); },
                  [&] { return exact_size("statement.gms_signature", m.gms_signature(), kSignatureBytes); });
}

Status validate(const v1::GmsRequest& m) {
    using R = v1::GmsRequest;
    switch (m.body_case()) {
        case R::kRegister:
            return all_of([&] { return account_name("register.account", m.register_().account()); },
                          [&] { return exact_size("register.identity_key", m.register_().identity_key(), kIdentityKeyBytes); });
        case R::kLogin:
            return account_name("login.account", m.login().account());
        case R::kCreateGroup:
            return exact_size("create_group.group_id", m.create_group().group_id(), kGroupIdBytes);
        case R::kMemberNotification: {
            const auto& n = m.member_notification();
            if (n.change() == v1::MemberNotification::CHANGE_UNSPECIFIED) {
                return make_error(Errc::malformed, "member_notification.change is unspecified");
            }
            return all_of([&] { return exact_size("member_notification.group_id", n.group_id(), kGroupIdBytes); },
                          [&] { return account_name("member_notification.account", n.account()); });
        }
        case R::kRekeyAck:
            return exact_size("rekey_ack.group_id", m.rekey_ack().group_id(), kGroupIdBytes);
        case R::kRn2Inquiry:
            return exact_size("rn2_inquiry.group_id", m.rn2_inquiry().group_id(), kGroupIdBytes);
        case R::kListMembers:
            return exact_size("list_members.group_id", m.list_members().group_id(), kGroupIdBytes);
        case R::kRn1Generation:
            return exact_size("rn1_generation.group_id", m.rn1_generation().group_id(), kGroupIdBytes);
        case R::kStatement:
            return exact_size("statement.group_id", m.statement().group_id(), kGroupIdBytes);
        case R::kLookupAccount:
            return account_name("lookup_account.account", m.lookup_account().account());
        case R::kExtendValidity:
            return all_of(
                [&] { return exact_size("extend_validity.group_id", m.extend_validity().group_id(), kGroupIdBytes); },
                [&] { return account_name("extend_validity.account", m.extend_validity().account()); });
        case R::BODY_NOT_SET:
            break;
    }
    return make_error(Errc::malformed, "GmsRequest has no body (unknown request type)");
}

Status validate(const v1::GroupMessage& m) {
    if (!m.has_header()) return make_error(Errc::malformed, "group message has no header");
    const auto& h = m.header();
    return all_of([&] { return exact_size("header.group_id", h.group_id(), kGroupIdBytes); },
                  [&] { return exact_size("header.sender_key", h.sender_key(), kIdentityKeyBytes); },
                  [&] { return exact_size("header.key_confirmation_id", h.key_confirmation_id(), kKeyConfirmationIdBytes); },
                  [&] { return exact_size("header.nonce", h.nonce(), kMessageNonceBytes); },
                  [&] { return exact_size("signature", m.signature(), kSignatureBytes); });
}

Status validate(const v1::Invitation& m) {
    return all_of([&] { return exact_size("invitation.group_id", m.group_id(), kGroupIdBytes); },
                  [&] { return exact_size("invitation.inviter_key", m.inviter_key(), kIdentityKeyBytes); },
                  [&] { return exact_size("invitation.invitee_key", m.invitee_key(), kIdentityKeyBytes); },
                  [&] { return exact_size("invitation.nonce", m.nonce(), kInvitationNonceBytes); },
                  [&] { return exact_size("invitation.signature", m.signature(), kSignatureBytes); });
}

Status validate(const v1::Acceptance& m) {
    return all_of([&] { return exact_size("acceptance.group_id", m.group_id(), kGroupIdBytes); },
                  [&] { return exact_size("acceptance.invitation_nonce", m.invitation_nonce(), kInvitationNonceBytes); },
                  [&] { return exact_size("acceptance.invitee_key", m.invitee_key(), kIdentityKeyBytes); },
                  [&] { return exact_size("acceptance.signature", m.signature(), kSignatureBytes); });
}

Status validate(const v1::Rn1Delivery& m) {
    return all_of(
        [&] { return exact_size("rn1_delivery.group_id", m.group_id(), kGroupIdBytes); },
        [&]() -> Status {
            if (m.invitation_nonce().empty()) return {};
            return exact_size("rn1_delivery.invitation_nonce", m.invitation_nonce(), kInvitationNonceBytes);
        },
        [&] { return exact_size("rn1_delivery.sender_key", m.sender_key(), kIdentityKeyBytes); },
        [&] { return exact_size("rn1_delivery.signature", m.signature(), kSignatureBytes); });
}

Status validate(const v1::Withdrawal& m) {
    return all_of([&] { return exact_size("withdrawal.group_id", m.group_id(), kGroupIdBytes); },
                  [&] { return exact_size("withdrawal.removed_key", m.removed_key(), kIdentityKeyBytes); },
                  [&] { return exact_size("withdrawal.sender_key", m.sender_key(), kIdentityKeyBytes); },
                  [&] { return exact_size("withdrawal.signature", m.signature(), kSignatureBytes); });
}

Status validate(const v1::RelayRequest& m) {
    using R = v1::RelayRequest;
    switch (m.body_case()) {
        case R::kAuth:
            return all_of([&] { return exact_size("auth.identity_key", m.auth().identity_key(), kIdentityKeyBytes); },
                          [&] { return exact_size("auth.signature", m.auth().signature(), kSignatureBytes); });
        case R::kPublish:
            if (!m.publish().has_statement()) return make_error(Errc::malformed, "publish has no membership statement");
            if (m.publish().envelope().type() == v1::ENVELOPE_TYPE_UNSPECIFIED) {
                return make_error(Errc::malformed, "publish.envelope.type is unspecified");
            }
            return validate(m.publish().statement());
        case R::kSubscribe:
            if (!m.subscribe().has_statement()) return make_error(Errc::malformed, "subscribe has no membership statement");
            return all_of([&] { return exact_size("subscribe.group_id", m.subscribe().group_id(), kGroupIdBytes); },
                          [&] { return validate(m.subscribe().statement()); });
        case R::kAck:
            return {};
        case R::kSend:
            if (m.send().envelope().type() == v1::ENVELOPE_TYPE_UNSPECIFIED) {
                return make_error(Errc::malformed, "send.envelope.type is unspecified");
            }
            return exact_size("send.envelope.recipient_key", m.send().envelope().recipient_key(), kIdentityKeyBytes);
        case R::kPublishRekey:
            if (m.publish_rekey().signed_rekey().empty()) return make_error(Errc::malformed, "publish_rekey is empty");
            return {};
        case R::BODY_NOT_SET:
            break;
    }
    return make_error(Errc::malformed, "RelayRequest has no body (unknown request type)");
}

}  // namespace twofold::wire
