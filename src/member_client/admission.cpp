// Admitting an invitee who accepted (the inviter's side of Fig. 7), and learning that one's own
// admission was refused (the invitee's side). An admission is two steps that can each fail on
// the way: the GMS add, then RN1 sealed to the invitee through the relay. The acceptance is
// kept as a PendingAdmission until both are done, so a GMS or relay that dies part-way leaves
// the work pending and the next sync retries it; only a refusal on the merits (no right, group
// full, unknown account) ends it, and then both sides are told.
#include <algorithm>

#include "crypto/hex.h"
#include "member/admission_refusal.h"
#include "member/signed_messages.h"
#include "member_client/member_impl.h"
#include "wire/message.h"
#include "wire/statement.h"
#include "wire/validate.h"

namespace twofold {

namespace {

constexpr const char* kAdmissions = "admission";  // vault kind: nonce hex -> PendingAdmission

}  // namespace

bool transient(const Error& e) {
    return e.code == Errc::unavailable || e.code == Errc::timeout || e.code == Errc::rate_limited ||
           e.code == Errc::internal;
}

void Member::Impl::note_pending(const std::string& what, const Error& error) {
    pending_.push_back(what + " (" + error.message + ")");
    if (error.code == Errc::unavailable || error.code == Errc::timeout) connection_lost_ = true;
}

void Member::Impl::on_acceptance(const v1::Envelope& envelope) {
    auto a = wire::parse_message<v1::Acceptance>(as_bytes(envelope.payload()));
    Status valid = a ? wire::validate(*a) : Status(a.error());
    if (!valid) {
        refuse({}, "acceptance", valid.error());
        return;
    }
    v1::SentInvitation sent;
    const std::string nonce_hex = crypto::to_hex(as_bytes(a->invitation_nonce()));
    auto found = member_client::get_message(vault_, "sent", nonce_hex, sent);
    if (!found || !*found) {
        refuse({}, "acceptance", Error{Errc::unknown, "it answers no invitation this member sent"});
        return;
    }
    Status s = member::verify_acceptance(*a, sent.invitation());
    auto it = groups_.find(a->group_id());
    if (s && (it == groups_.end() || !it->second.keys || !it->second.keys->ready())) {
        s = make_error(Errc::unknown, "the group's keys are not held here");
    }
    if (!s) {
        refuse({}, "acceptance from " + sent.invitee_account(), s.error());
        return;
    }
    // Stored in the envelope's transaction: once the relay has our acknowledgement, the store
    // holds the work.
    v1::PendingAdmission pending;
    *pending.mutable_acceptance() = *a;
    if (auto put = member_client::put_message(vault_, kAdmissions, nonce_hex, pending); !put) {
        refuse({}, "acceptance from " + sent.invitee_account(), put.error());
        return;
    }
    (void)advance_admission(nonce_hex, pending);
}

Status Member::Impl::retry_admissions() {
    auto names = vault_.names(kAdmissions);
    if (!names) return names.error();
    for (const auto& nonce_hex : *names) {
        v1::PendingAdmission pending;
        auto ok = member_client::get_message(vault_, kAdmissions, nonce_hex, pending);
        if (!ok) return ok.error();
        if (!*ok) continue;
        if (auto s = vault_.begin(); !s) return s;
        if (auto s = advance_admission(nonce_hex, pending); !s) return s;
        if (auto s = vault_.commit(); !s) return s;
        if (connection_lost_) return {};  // the rest waits for the next sync
    }
    return {};
}

// One step further, as far as the servers allow. Errors returned are the store's; the servers'
// are noted as pending (transient) or end the admission (on the merits).
Status Member::Impl::advance_admission(const std::string& nonce_hex, v1::PendingAdmission& p) {
    v1::SentInvitation sent;
    auto found = member_client::get_message(vault_, "sent", nonce_hex, sent);
    if (!found) return found.error();
    if (!*found) return vault_.erase(kAdmissions, nonce_hex);  // finished by an earlier run
    const v1::Acceptance& a = p.acceptance();
    const std::string& invitee = sent.invitee_account();
    auto it = groups_.find(a.group_id());
    if (it != groups_.end() && it->second.info.state() == v1::LocalGroup::STATE_REMOVED && p.added_epoch() == 0 &&
        p.refusal().empty()) {
        p.set_refusal("the inviter is no longer a member of the group");
    }
    if (it == groups_.end() || ((!it->second.keys || !it->second.keys->ready()) && p.refusal().empty())) {
        note_pending("adding " + invitee, Error{Errc::unknown, "the group's keys are not held here yet"});
        return {};
    }
    Group& g = it->second;
    const std::string where = group_label(g);
    p.set_attempts(p.attempts() + 1);

    // The GMS first, so RN1 never goes to someone the GMS refuses to add.
    if (p.added_epoch() == 0 && p.refusal().empty()) {
        const std::uint64_t valid_until = sent.valid_until_unix() != 0 ? sent.valid_until_unix()
                                          : sent.valid_for_seconds() != 0 ? now_unix() + sent.valid_for_seconds()
                                                                          : 0;
        auto epoch = add_at_gms(g, invitee, sent.invitation().rights(), a.invitee_key(), valid_until);
        if (!epoch && transient(epoch.error())) {
            note_pending("adding " + invitee + " to " + where, epoch.error());
            return member_client::put_message(vault_, kAdmissions, nonce_hex, p);
        }
        if (!epoch) {
            p.set_refusal(epoch.error().message);
        } else {
            p.set_added_epoch(*epoch);
            // At once, not at this member's next publication: a broker queues for the new member
            // only once it knows it (docs/mqtt.md "A joiner's first messages").
            if (auto s = present_statements(g); !s) note_pending("showing the broker " + invitee, s.error());
            if (auto s = save_group(g); !s) return s;
        }
        if (auto s = member_client::put_message(vault_, kAdmissions, nonce_hex, p); !s) return s;
    }

    crypto::SignPublicKey invitee_key{};
    std::copy(a.invitee_key().begin(), a.invitee_key().end(), invitee_key.begin());
    if (!p.refusal().empty()) {
        const v1::AdmissionRefusal refusal = member::make_admission_refusal(identity_, sent.invitation(), p.refusal());
        auto told =
            relay_->send(invitee_key, v1::ENVELOPE_TYPE_ADMISSION_REFUSAL, as_bytes(refusal.SerializeAsString()));
        if (!told) {
            note_pending("telling " + invitee + " the GMS refused the admission", told.error());
            return member_client::put_message(vault_, kAdmissions, nonce_hex, p);
        }
        emit(Event{Event::Kind::refused, where, invitee,
                   "could not add " + invitee + " to " + where + ": " + p.refusal() + "; " + invitee + " was told"});
    } else {
        const auto current = *g.keys->current();
        auto delivery = member::make_rn1_delivery(identity_, as_bytes(g.info.group_id()), current.rn1_generation,
                                                  as_bytes(a.invitation_nonce()), g.keys->rn1s().rbegin()->second,
                                                  g.keys->name(), invitee_key);
        if (!delivery) return delivery.error();
        auto ok = relay_->send(invitee_key, v1::ENVELOPE_TYPE_RN1_DELIVERY, as_bytes(delivery->SerializeAsString()));
        if (!ok) {
            note_pending("RN1 for " + invitee + " in " + where + " (added at the GMS)", ok.error());
            return member_client::put_message(vault_, kAdmissions, nonce_hex, p);
        }
        emit(Event{Event::Kind::notice, where, invitee,
                   invitee + " accepted: RN1 sent, GMS notified, epoch " + std::to_string(p.added_epoch())});
    }
    if (auto s = vault_.erase("sent", nonce_hex); !s) return s;
    return vault_.erase(kAdmissions, nonce_hex);
}

Result<std::uint64_t> Member::Impl::add_at_gms(Group& g, const std::string& invitee, const v1::Rights& rights,
                                               const std::string& invitee_key, std::uint64_t valid_until) {
    auto epoch = gms_->add_member(as_bytes(g.info.group_id()), invitee, rights.may_invite(), rights.may_remove(),
                                  valid_until);
    if (!epoch && epoch.error().code == Errc::conflict) epoch = admitted_epoch(g, invitee_key);
    if (!epoch) return epoch;
    // The rekey of the new epoch is on its way: take it now, so what this member sends next is
    // in an epoch the new member can open.
    if (auto s = drain_pushes(); !s) note_pending("the rekey after adding " + invitee, s.error());
    return epoch;
}

// The GMS answered "already a member": the add of an earlier attempt was committed before the
// answer could reach us. Idempotent only if it is this invitee's key that the GMS lists.
Result<std::uint64_t> Member::Impl::admitted_epoch(Group& g, const std::string& invitee_key) {
    auto members = gms_->list_members(as_bytes(g.info.group_id()));
    if (!members) return members.error();
    for (const auto& st : *members) {
        if (st.identity_key() != invitee_key) continue;
        if (auto s = wire::verify_statement(st, gms_key_, now_unix()); !s) return s.error();
        return st.member_since() != 0 ? st.member_since() : st.epoch();
    }
    return make_error(Errc::conflict, "the GMS says the account is already a member, under another key");
}

void Member::Impl::on_admission_refusal(const v1::Envelope& envelope) {
    auto r = wire::parse_message<v1::AdmissionRefusal>(as_bytes(envelope.payload()));
    Status s = r ? member::verify_admission_refusal(*r) : Status(r.error());
    if (s && r->sender_key() != envelope.sender_key()) {
        s = make_error(Errc::auth_failed, "admission refusal sender differs from the relay-authenticated sender");
    }
    auto it = s ? groups_.find(r->group_id()) : groups_.end();
    if (s && (it == groups_.end() || it->second.info.invitation_nonce() != r->invitation_nonce() ||
              it->second.info.inviter_key() != r->sender_key())) {
        s = make_error(Errc::forbidden, "it answers no invitation this member accepted");
    }
    if (s && it->second.info.state() != v1::LocalGroup::STATE_AWAITING_KEYS) {
        s = make_error(Errc::stale_epoch, "this member's admission was already completed");
    }
    if (!s) {
        refuse({}, "admission refusal", s.error());
        return;
    }
    Group& g = it->second;
    const std::string where = group_label(g);
    const std::string inviter = inviter_account(g);
    g.info.set_state(v1::LocalGroup::STATE_REMOVED);
    g.info.set_removed_by(inviter + " (the GMS refused: " + r->reason() + ")");
    (void)vault_.erase("invitation", id_hex(g.info.group_id()));
    (void)save_group(g);
    emit(Event{Event::Kind::refused, where, inviter,
               inviter + " could not add you to " + where + ": " + r->reason() + "; the invitation has ended"});
}

// Whom the invitation came from, for messages: the account in the stored invitation.
std::string Member::Impl::inviter_account(const Group& g) {
    v1::ReceivedInvitation r;
    auto ok = member_client::get_message(vault_, "invitation", id_hex(g.info.group_id()), r);
    if (ok && *ok) return r.invitation().inviter_account();
    return "the inviter";
}

// A re-admission after a removal starts afresh: nothing of the old membership (its roster, its
// statement, why it ended) may apply to the new one. Envelope ids and sequence numbers go on.
void Member::Impl::begin_membership(Group& g) {
    if (g.info.state() != v1::LocalGroup::STATE_REMOVED) return;
    v1::LocalGroup fresh;
    fresh.set_group_id(g.info.group_id());
    fresh.set_next_sequence(g.info.next_sequence());
    fresh.set_last_envelope_id(g.info.last_envelope_id());
    fresh.set_member_since(g.info.member_since());  // raised by the new membership's statement
    g.info = std::move(fresh);
    g.keys.reset();
    g.stored_revision = 0;
}

}  // namespace twofold
