// Rekeys, by whatever path they come: the GMS's push, or the relay's group topic (one GMS
// publication per group, fanned out). Each is a GMS-signed rekey (wire/signed_rekey.h), checked
// before use: a bad signature, another group's rekey or an epoch this member has passed becomes
// a refused event naming the reason; a copy of the epoch already held (the same rekey by a
// second path) is dropped. A rekey that does not follow from the held keys (one was missed) is
// closed by an RN2 inquiry.
#include <algorithm>

#include "member/rekey_acceptance.h"
#include "member_client/member_impl.h"
#include "wire/message.h"

namespace twofold {

namespace {

std::string event_text(const v1::MembershipEvent& e) {
    switch (e.change()) {
        case v1::MemberNotification::CHANGE_ADD: return e.account() + " joined";
        case v1::MemberNotification::CHANGE_REMOVE: return e.account() + " was removed";
        case v1::MemberNotification::CHANGE_LEAVE: return e.account() + " left";
        default: return e.account() + " changed";
    }
}

}  // namespace

void Member::Impl::on_rekey_envelope(Group& g, const v1::Envelope& envelope) {
    auto signed_rekey = wire::parse_message<v1::SignedRekey>(as_bytes(envelope.payload()));
    if (!signed_rekey) return refuse(group_label(g), "rekey by the relay", signed_rekey.error());
    if (auto s = take_rekey(*signed_rekey, envelope.group_id(), "the relay"); !s) {
        note_pending("the RN2 inquiry after a rekey by the relay", s.error());
    }
}

Status Member::Impl::take_rekey(const v1::SignedRekey& signed_rekey, const std::string& group_id, const char* path) {
    auto it = groups_.find(group_id);
    if (it == groups_.end()) return {};  // a group this member did not ask to join
    Group& g = it->second;
    if (g.info.state() == v1::LocalGroup::STATE_REMOVED) return {};
    member::HeldEpochs held;
    if (g.keys && g.keys->path()) {
        held.newest = g.keys->path()->epoch();
        const auto& rn2s = g.keys->old_rn2s();
        held.oldest = rn2s.empty() ? held.newest : std::min(held.newest, rn2s.begin()->first);
    }
    auto use = member::accept_rekey(signed_rekey, gms_key_, group_id, held);
    if (!use) {
        refuse(group_label(g), std::string("rekey by ") + path, use.error());
        return {};
    }
    if (rekey_observer_) {
        rekey_observer_(RekeyArrival{id_hex(group_id), signed_rekey.rekey().epoch(), path,
                                     *use == member::RekeyUse::apply});
    }
    if (*use == member::RekeyUse::duplicate) return {};
    const v1::Rekey& r = signed_rekey.rekey();
    // A rekey the roster has already passed (the GMS's list was newer) changes nothing in it.
    const bool roster_behind = r.membership_epoch() > g.info.roster_epoch();
    if (roster_behind) g.info.set_roster_epoch(r.membership_epoch());
    for (const auto& e : r.events()) {
        const bool departure = e.change() == v1::MemberNotification::CHANGE_REMOVE ||
                               e.change() == v1::MemberNotification::CHANGE_LEAVE;
        // Whether the roster has seen this epoch already (the GMS's list can be newer than a push
        // still queued) or not, a departure after the newest RN1 still calls for a rotation:
        // an expiry has no remover to rotate for it.
        if (departure && g.info.policy().strict() && r.membership_epoch() > g.info.rn1_membership_epoch()) {
            g.info.set_rotation_due_epoch(std::max(g.info.rotation_due_epoch(), r.membership_epoch()));
            g.info.set_rotation_excluded(e.account());
        }
        if (!roster_behind) continue;
        auto& roster = *g.info.mutable_roster();
        auto entry = std::find_if(roster.begin(), roster.end(),
                                  [&](const v1::RosterEntry& x) { return x.account() == e.account(); });
        if (e.change() == v1::MemberNotification::CHANGE_ADD) {
            v1::RosterEntry* target = entry == roster.end() ? roster.Add() : &*entry;
            target->set_account(e.account());
            target->set_identity_key(e.identity_key());
            *target->mutable_rights() = e.rights();
            target->set_removed_at_rn2_epoch(0);
        } else if (entry != roster.end()) {
            entry->set_removed_at_rn2_epoch(r.epoch());
        }
        emit(Event{Event::Kind::notice, group_label(g), e.account(),
                   event_text(e) + " (RN2 epoch " + std::to_string(r.epoch()) + ")"});
    }
    g.info.set_membership_epoch(std::max(g.info.membership_epoch(), r.membership_epoch()));
    Status applied = g.keys && g.keys->path() ? g.keys->apply_rekey(as_bytes(r.lkh_message()))
                                              : make_error(Errc::unknown, "no key state yet");
    if (!applied && applied.error().code == Errc::stale_epoch) return {};  // already past it
    if (!applied) {
        if (auto s = inquire(g); !s) return s;  // missed a rekey: ask for the current state
    } else if (auto s = gms_->acknowledge_async(as_bytes(r.group_id()), r.epoch()); !s) {
        return s;
    }
    return save_group(g);
}

}  // namespace twofold
