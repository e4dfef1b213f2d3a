// The invitation flow's operations (the paper's Fig. 7, one-shot): invite an account, list the
// invitations received, accept one. The inviter's side of an acceptance is in admission.cpp.
#include "core/validity.h"
#include "crypto/hex.h"
#include "member/signed_messages.h"
#include "member_client/conversions.h"
#include "member_client/member_impl.h"
#include "wire/statement.h"

namespace twofold {

using member_client::from_proto;
using member_client::sign_key_of;
using member_client::to_proto;

Result<Member::Impl::PreparedInvitation> Member::Impl::prepare_invitation(const std::string& group,
                                                                         const std::string& account, Rights rights) {
    auto found = find_group(group);
    if (!found) return found.error();
    Group& g = **found;
    if (g.info.state() != v1::LocalGroup::STATE_ACTIVE)
        return make_error(Errc::forbidden, "group " + group + " is not active here");
    if (!g.info.rights().may_invite()) return make_error(Errc::forbidden, "you lack may_invite in " + group);
    if ((rights.may_invite && !g.info.rights().may_invite()) || (rights.may_remove && !g.info.rights().may_remove())) {
        return make_error(Errc::forbidden, "you can grant only rights you hold (you lack may_remove in " + group + ")");
    }
    if (account == config_.account()) return make_error(Errc::invalid_argument, "you cannot invite yourself");
    auto key = registered_key(account);
    if (!key) return key.error();
    auto invitee = sign_key_of(*key, "invitee key");
    if (!invitee) return invitee.error();
    auto statement = my_statement(g);
    if (!statement) return statement.error();
    if (!g.keys) return make_error(Errc::internal, "group " + group + " has no name here");
    auto made = member::make_invitation(identity_, config_.account(), as_bytes(g.info.group_id()), g.keys->name(),
                                        to_proto(rights), *invitee, *statement);
    if (!made) return made.error();
    return PreparedInvitation{&g, std::move(*made), *invitee};
}

Status Member::Impl::send_invitation(const PreparedInvitation& p, const std::string& account,
                                     const Validity& validity) {
    const v1::Invitation& invitation = p.invitation;
    auto sent = relay_->send(p.invitee, v1::ENVELOPE_TYPE_INVITATION, as_bytes(invitation.SerializeAsString()));
    if (!sent) return sent.error();
    v1::SentInvitation record;
    *record.mutable_invitation() = invitation;
    record.set_invitee_account(account);
    record.set_valid_until_unix(validity.until_unix);
    record.set_valid_for_seconds(validity.for_seconds);
    if (auto s = member_client::put_message(vault_, "sent", crypto::to_hex(as_bytes(invitation.nonce())), record); !s) {
        return s.error();
    }
    return save_group(*p.group);
}

Result<InviteOutcome> Member::invite(const std::string& group, const std::string& account, Rights rights,
                                     Validity validity) {
    if (auto synced = impl_->sync(); !synced) return synced.error();
    auto prepared = impl_->prepare_invitation(group, account, rights);
    if (!prepared) return prepared.error();
    // The group's limit is checked here too, so an invitation the GMS would refuse is never sent.
    const std::uint64_t now = now_unix();
    const std::uint64_t asked = validity.until_unix != 0 ? validity.until_unix
                                : validity.for_seconds != 0 ? now + validity.for_seconds
                                                            : 0;
    if (auto v = validity::check_validity(asked, now, prepared->group->info.policy().max_validity_seconds()); !v) {
        return v.error();
    }
    if (auto s = impl_->send_invitation(*prepared, account, validity); !s) return s.error();
    return InviteOutcome{prepared->group->info.name(), account, rights};
}

Result<std::vector<InvitationInfo>> Member::invitations() {
    if (auto synced = impl_->sync(); !synced) return synced.error();
    auto names = impl_->vault_.names("invitation");
    if (!names) return names.error();
    std::vector<InvitationInfo> out;
    for (const auto& name : *names) {
        v1::ReceivedInvitation r;
        auto ok = member_client::get_message(impl_->vault_, "invitation", name, r);
        if (!ok) return ok.error();
        out.push_back(InvitationInfo{name, r.group_name(), r.invitation().inviter_account(),
                                     from_proto(r.invitation().rights()), r.accepted()});
    }
    return out;
}

Result<AcceptOutcome> Member::accept(const std::string& which) {
    if (auto synced = impl_->sync(); !synced) return synced.error();
    auto names = impl_->vault_.names("invitation");
    if (!names) return names.error();
    std::vector<std::pair<std::string, v1::ReceivedInvitation>> matches;
    for (const auto& name : *names) {
        v1::ReceivedInvitation r;
        auto ok = member_client::get_message(impl_->vault_, "invitation", name, r);
        if (!ok) return ok.error();
        const bool match = r.group_name() == which || (which.size() >= 4 && name.starts_with(which)) ||
                           r.invitation().inviter_account() == which;
        if (match) matches.emplace_back(name, std::move(r));
    }
    if (matches.empty()) {
        return make_error(Errc::unknown, "no invitation matches " + which + " (see `twofold invitations`)");
    }
    if (matches.size() > 1) {
        std::string listed;
        for (const auto& [name, r] : matches) {
            listed += (listed.empty() ? "" : ", ") + name.substr(0, 8) + " «" + r.group_name() + "» from " +
                      r.invitation().inviter_account();
        }
        return make_error(Errc::invalid_argument, std::to_string(matches.size()) + " invitations match " + which +
                                                      ": " + listed + "; give the group id prefix");
    }
    auto& [chosen_name, chosen] = matches.front();
    const v1::Invitation& inv = chosen.invitation();
    const v1::Acceptance acceptance = member::make_acceptance(impl_->identity_, impl_->config_.account(), inv);
    auto sent = impl_->relay_->send(as_bytes(inv.inviter_key()), v1::ENVELOPE_TYPE_ACCEPTANCE,
                                    as_bytes(acceptance.SerializeAsString()));
    if (!sent) return sent.error();
    chosen.set_accepted(true);
    if (auto s = member_client::put_message(impl_->vault_, "invitation", chosen_name, chosen); !s) return s.error();
    if (auto s = impl_->await_keys(inv); !s) return s.error();
    return AcceptOutcome{chosen.group_name(), chosen_name, inv.inviter_account()};
}

Status Member::Impl::await_keys(const v1::Invitation& inv) {
    Group& g = groups_[inv.group_id()];
    begin_membership(g);
    g.info.set_group_id(inv.group_id());
    g.info.set_state(v1::LocalGroup::STATE_AWAITING_KEYS);
    *g.info.mutable_rights() = inv.rights();
    g.info.set_inviter_key(inv.inviter_key());
    g.info.set_invitation_nonce(inv.nonce());
    return save_group(g);
}

Result<ExtendOutcome> Member::extend(const std::string& group, const std::string& account, Validity validity) {
    if (auto synced = impl_->sync(); !synced) return synced.error();
    auto found = impl_->find_group(group);
    if (!found) return found.error();
    Impl::Group& g = **found;
    if (!g.info.rights().may_invite()) return make_error(Errc::forbidden, "you lack may_invite in " + group);
    const std::uint64_t until = validity.until_unix != 0 ? validity.until_unix : now_unix() + validity.for_seconds;
    auto recorded = impl_->gms_->extend_validity(as_bytes(g.info.group_id()), account, until);
    if (!recorded) return recorded.error();
    return ExtendOutcome{impl_->group_label(g), account, *recorded};
}

}  // namespace twofold
