// What arrives for a member: the GMS's group table and pushes (welcomes, rekeys, removals) and
// the relay's envelopes (invitations, acceptances, RN1 deliveries, withdrawals, messages).
// Every envelope is processed, committed to the store, and only then acknowledged to the relay,
// so a crash redelivers it and the ids drop the duplicate. Bad input becomes a "refused" event
// naming the reason; it never stops the sync.
#include <algorithm>
#include <cstdio>

#include "core/validity.h"
#include "crypto/hex.h"
#include "crypto/seal.h"
#include "crypto/x25519.h"
#include "member/message_protection.h"
#include "member/signed_messages.h"
#include "member_client/member_impl.h"
#include "wire/message.h"
#include "wire/statement.h"
#include "wire/validate.h"

namespace twofold {

namespace {

template <class Message>
Result<Message> parse_payload(const v1::Envelope& envelope) {
    auto m = wire::parse_message<Message>(as_bytes(envelope.payload()));
    if (!m) return m.error();
    if (auto s = wire::validate(*m); !s) return s.error();
    return m;
}

}  // namespace

void Member::Impl::emit(Event event, const std::string& invitation_gid) {
    std::string raw_gid = invitation_gid;
    for (const auto& [gid, g] : groups_) {
        if (raw_gid.empty() && group_label(g) == event.group) raw_gid = gid;
    }
    if (!raw_gid.empty()) event.group_id = id_hex(raw_gid);
    if (to_inbox_) {
        v1::InboxItem item;
        item.set_group_id(raw_gid);
        item.set_group_name(event.group);
        item.set_sender(event.sender);
        item.set_text(event.text);
        item.set_rn1_generation(event.rn1_generation);
        item.set_rn2_epoch(event.rn2_epoch);
        item.set_notice(event.kind != Event::Kind::message);
        item.set_refused(event.kind == Event::Kind::refused);
        item.set_missing(event.kind == Event::Kind::missing);
        item.set_invitation(!invitation_gid.empty());
        char name[24];
        std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(next_inbox_++));
        (void)member_client::put_message(vault_, "inbox", name, item);  // shown later by recv()
    }
    events_.push_back(std::move(event));
}

Result<std::vector<Event>> Member::Impl::sync() {
    events_.clear();
    pending_.clear();
    connection_lost_ = false;
    // Connections kept from an earlier operation may have died meanwhile (a server restarted):
    // then one fresh attempt, which picks up where the store says this member is.
    const bool reused = gms_ || relay_;
    Status s = sync_steps();
    if (!s && reused && (s.error().code == Errc::unavailable || connection_lost_)) {
        gms_.reset();
        relay_.reset();
        pending_.clear();
        connection_lost_ = false;
        s = sync_steps();
    }
    if (!s) return sync_failed(s.error());
    if (connection_lost_) return sync_failed(Error{Errc::unavailable, "a server connection failed"});
    return events_;
}

// A connection that failed part-way: both are dropped (the next operation connects afresh) and
// the error says what is left and that the next sync retries it. What was done is in the store.
Error Member::Impl::sync_failed(const Error& error) {
    gms_.reset();
    relay_.reset();
    std::string text = "stopped part-way: " + error.message;
    if (!pending_.empty()) {
        text += "; left pending, retried at the next sync:";
        for (std::size_t i = 0; i < pending_.size(); ++i) text += (i == 0 ? " " : "; ") + pending_[i];
    }
    return Error{error.code, text};
}

namespace {

// Which server's connection an error came from, for the one line the user sees.
Status from(const char* server, Status s) {
    if (s || s.error().message.find(server) != std::string::npos) return s;
    return Error{s.error().code, std::string(server) + ": " + s.error().message};
}

}  // namespace

Status Member::Impl::sync_steps() {
    if (auto s = connect(); !s) return s;
    if (fresh_login_) {
        if (auto s = reconcile(statuses_); !s) return from("GMS", s);
        fresh_login_ = false;
    }
    if (auto s = drain_pushes(); !s) return from("GMS", s);
    if (auto s = retry_admissions(); !s || connection_lost_) return s;
    // Deliveries can make a group active (RN1 arrived), which needs a subscription, which brings
    // the group's stored messages: a few rounds settle it.
    for (int round = 0; round < 3; ++round) {
        const std::size_t before = subscribed_.size();
        if (auto s = subscribe_all(); !s) return s;
        if (auto s = drain_relay(kRelayQuiet); !s || connection_lost_) return from("relay", s);
        if (auto s = retry_deferred(); !s) return s;
        if (subscribed_.size() == before && round > 0) break;
    }
    if (auto s = report_gaps(); !s) return s;  // the relay is quiet: what is missing now was dropped
    // Strict groups: a removal whose RN1 rotation has not arrived (a member that left cannot rotate,
    // a remover may have crashed) is rotated by a member with may_remove. The GMS orders the
    // claims, so when several try, one rotates and the others adopt its generation.
    for (auto& [gid, g] : groups_) {
        if (g.info.state() != v1::LocalGroup::STATE_ACTIVE || g.info.rotation_due_epoch() == 0) continue;
        if (g.info.rotation_due_epoch() > g.info.rn1_membership_epoch() && g.info.rights().may_remove()) {
            if (auto s = rotate(g, g.info.rotation_excluded()); !s) return s;
        }
        if (g.info.rotation_due_epoch() <= g.info.rn1_membership_epoch() || g.info.rights().may_remove()) {
            g.info.set_rotation_due_epoch(0);
            g.info.clear_rotation_excluded();
            if (auto s = save_group(g); !s) return s;
        }
    }
    // RN1 on the long interval: whoever notices first claims the next generation.
    for (auto& [gid, g] : groups_) {
        if (g.info.state() == v1::LocalGroup::STATE_ACTIVE && g.info.rn1_since_unix() != 0 &&
            now_unix() > g.info.rn1_since_unix() + rn1_interval_seconds(g.info.policy())) {
            if (auto s = rotate(g, {}); !s) return s;
        }
    }
    return {};
}

// The GMS's view of this member's groups (from login): learn new groups, catch up on RN2,
// notice removals.
Status Member::Impl::reconcile(const std::vector<v1::GroupStatus>& statuses) {
    std::map<std::string, const v1::GroupStatus*> listed;
    for (const auto& st : statuses) listed[st.group_id()] = &st;
    for (const auto& st : statuses) {
        auto it = groups_.find(st.group_id());
        if (it == groups_.end()) continue;  // added by the GMS, but this member accepted no invitation
        Group& g = it->second;
        if (g.info.state() == v1::LocalGroup::STATE_REMOVED) continue;
        *g.info.mutable_rights() = st.rights();
        *g.info.mutable_policy() = st.policy();
        g.info.set_valid_until_unix(st.valid_until_unix());
        if (st.membership_epoch() != g.info.membership_epoch()) g.info.set_membership_epoch(st.membership_epoch());
        if (auto s = g.rn1_claims.learn(st.rn1_generation(), st.rn1_claims()); !s) {
            emit(Event{Event::Kind::refused, group_label(g), {}, "GMS group status refused: " + s.error().message});
        }
        const bool behind = !g.keys || !g.keys->path() || g.keys->path()->epoch() < st.rn2_epoch();
        if (behind) {
            if (auto s = inquire(g); !s) {
                emit(Event{Event::Kind::refused, group_label(g), {}, "RN2 inquiry failed: " + s.error().message});
                continue;
            }
        }
        if (auto s = save_group(g); !s) return s;
    }
    for (auto& [gid, g] : groups_) {
        if (g.info.state() == v1::LocalGroup::STATE_ACTIVE && !listed.contains(gid)) {
            // Removed while this member was away: by its validity's end, if that has passed.
            const std::uint64_t until = g.info.valid_until_unix();
            if (auto s = mark_removed(g, "the GMS", until != 0 && until <= now_unix() ? until : 0); !s) return s;
        }
    }
    return {};
}

// The thesis's RN2 inquiry: the current path and RN2, sealed to this member, nothing older.
Status Member::Impl::inquire(Group& g) {
    const std::uint64_t known = g.keys && g.keys->path() ? g.keys->path()->epoch() : 0;
    auto welcome = gms_->inquire(as_bytes(g.info.group_id()), known);
    if (!welcome) return welcome.error();
    return handle_welcome(*welcome);
}

Status Member::Impl::handle_welcome(const v1::Welcome& w) {
    auto it = groups_.find(w.group_id());
    if (it == groups_.end()) return {};  // a group this member did not ask to join
    Group& g = it->second;
    auto opened = crypto::open_sealed(crypto::X25519KeyPair::from_signing_key(identity_), as_bytes(w.sealed_path()));
    if (!opened) return make_error(opened.error().code, "welcome does not open with this identity key");
    auto path = lkh::MemberState::parse(opened->span());
    if (!path) return path.error();
    if (path->group_id() != Bytes(w.group_id().begin(), w.group_id().end())) {
        return make_error(Errc::malformed, "welcome key state is for another group");
    }
    const std::uint64_t epoch = path->epoch();
    if (auto s = g.rn1_claims.learn(w.rn1_generation(), w.rn1_claims()); !s) {
        return make_error(s.error().code, "welcome: " + s.error().message);
    }
    // The renewals just before this epoch, so a late message of one of them still opens.
    std::vector<std::pair<std::uint64_t, crypto::Rn2>> recent;
    if (!w.sealed_recent().empty()) {
        auto list =
            crypto::open_sealed(crypto::X25519KeyPair::from_signing_key(identity_), as_bytes(w.sealed_recent()));
        if (!list) return make_error(list.error().code, "welcome's recent RN2s do not open with this identity key");
        constexpr std::size_t kItem = 8 + crypto::kRn2Bytes;
        if (list->size() % kItem != 0) return make_error(Errc::malformed, "welcome's recent RN2 list is malformed");
        for (std::size_t at = 0; at < list->size(); at += kItem) {
            const ByteView item = list->span().subspan(at, kItem);
            std::uint64_t e = 0;
            for (int i = 0; i < 8; ++i) e = (e << 8) | item[static_cast<std::size_t>(i)];
            if (e < epoch) recent.emplace_back(e, crypto::Rn2::copy_of(item.subspan<8, crypto::kRn2Bytes>()));
        }
    }
    *g.info.mutable_rights() = w.rights();
    *g.info.mutable_policy() = w.policy();
    g.info.set_valid_until_unix(w.valid_until_unix());
    g.info.set_membership_epoch(std::max(g.info.membership_epoch(), w.membership_epoch()));
    if (g.keys) {
        if (auto s = g.keys->set_path(std::move(*path)); !s && s.error().code != Errc::stale_epoch) return s;
        for (auto& [e, rn2] : recent) g.keys->restore_rn2(e, std::move(rn2));
        if (g.keys->ready()) g.info.set_state(v1::LocalGroup::STATE_ACTIVE);
    } else {
        // No name yet (RN1 has not arrived): keep the path until it does.
        const crypto::SecretBuffer bytes = path->serialise();
        const std::string hex = id_hex(g.info.group_id());
        if (auto s = vault_.put("path", hex, bytes.span()); !s) return s;
        for (const auto& [e, rn2] : recent) {
            if (auto s = vault_.put("rn2", hex + ":" + std::to_string(e), rn2.span()); !s) return s;
        }
    }
    if (auto s = gms_->acknowledge_async(as_bytes(w.group_id()), epoch); !s) return s;
    return save_group(g);
}

Status Member::Impl::handle_push(const v1::GmsResponse& push) {
    if (push.has_welcome()) return handle_welcome(push.welcome());
    if (push.has_removed()) {
        auto it = groups_.find(push.removed().group_id());
        if (it == groups_.end()) return {};
        // The end of an earlier membership, arriving after a re-admission: not this one's.
        if (push.removed().membership_epoch() <= it->second.info.member_since()) return {};
        const std::string by = push.removed().by_account().empty() ? "the GMS" : push.removed().by_account();
        return mark_removed(it->second, by, push.removed().expired_at_unix());
    }
    if (push.has_signed_rekey()) return take_rekey(push.signed_rekey(), push.signed_rekey().rekey().group_id(), "GMS");
    if (push.has_error()) {
        emit(Event{Event::Kind::refused, {}, {}, "GMS: " + push.error().message()});
    }
    return {};
}

// A barrier, not a timed wait: the GMS answers a connection's requests in order, so once the
// answer to a cheap request (this member's own identity statement) is back, every push the GMS
// sent before it has been read into the client's queue. `barrier` false (the follow loop) only
// polls briefly for what has already arrived.
Status Member::Impl::drain_pushes(bool barrier) {
    if (barrier) {
        if (auto own = gms_->lookup(config_.account()); !own) return own.error();
    }
    for (;;) {
        if (barrier && gms_->queued_pushes() == 0) return {};
        auto push = gms_->next_push(std::chrono::milliseconds(barrier ? 0 : 5));
        if (!push) {
            if (push.error().code == Errc::timeout) return {};
            return push.error();
        }
        if (auto s = handle_push(*push); !s) return s;
    }
}

Status Member::Impl::subscribe_all() {
    // Every group's statements first: a broker checks what it queued for this member against
    // them when the receiving session logs in, which the first subscription below does.
    std::map<std::string, v1::MembershipStatement> statements;
    for (auto& [gid, g] : groups_) {
        if (g.info.state() != v1::LocalGroup::STATE_ACTIVE) continue;
        auto statement = my_statement(g);
        if (!statement) {
            emit(Event{
                Event::Kind::refused, group_label(g), {}, "no membership statement: " + statement.error().message});
            continue;
        }
        if (auto s = relay_->present(as_bytes(gid), *statement, g.info.joined()); !s) return s;
        statements[gid] = *statement;
    }
    for (auto& [gid, statement] : statements) {
        auto shown = subscribed_.find(gid);
        if (shown != subscribed_.end() && shown->second == statement.epoch()) continue;
        auto ok = relay_->subscribe(as_bytes(gid), statement);
        if (!ok) return ok.error();
        subscribed_[gid] = statement.epoch();
        if (auto s = save_group(groups_.at(gid)); !s) return s;
    }
    return {};
}

Status Member::Impl::drain_relay(std::chrono::milliseconds quiet) {
    for (;;) {
        auto got = relay_->receive(quiet);  // each envelope goes to process_envelope, then is acknowledged
        if (!got) {
            if (got.error().code == Errc::timeout) return {};
            return got;
        }
    }
}

Status Member::Impl::process_envelope(const Result<v1::Envelope>& envelope) {
    if (lan_before_envelopes_) {
        poll_lan();
        lan_polled_ = true;
    }
    if (auto s = vault_.begin(); !s) return s;
    if (envelope) {
        handle_envelope(*envelope);
    } else {
        refuse({}, "delivery", envelope.error());
    }
    return vault_.commit();
}

Status Member::Impl::refresh_roster(Group& g) {
    auto members = gms_->list_members(as_bytes(g.info.group_id()));
    if (!members) return members.error();
    const std::uint64_t held = g.keys && g.keys->path() ? g.keys->path()->epoch() : 0;
    auto& roster = *g.info.mutable_roster();
    for (auto& entry : roster) {
        if (entry.removed_at_rn2_epoch() == 0) entry.set_removed_at_rn2_epoch(held);  // unless listed below
    }
    for (const auto& st : *members) {
        // A validity that ended a moment ago, before the GMS's removal: not a member any more.
        if (st.valid_until() != 0 && st.valid_until() <= now_unix()) continue;
        if (auto s = wire::verify_statement(st, gms_key_, now_unix()); !s) return s;
        if (st.group_id() != g.info.group_id()) return make_error(Errc::malformed, "GMS listed another group's member");
        auto entry = std::find_if(roster.begin(), roster.end(),
                                  [&](const v1::RosterEntry& x) { return x.identity_key() == st.identity_key(); });
        v1::RosterEntry* target = entry == roster.end() ? roster.Add() : &*entry;
        target->set_account(st.account());
        target->set_identity_key(st.identity_key());
        *target->mutable_rights() = st.rights();
        target->set_valid_until(st.valid_until());
        target->set_removed_at_rn2_epoch(0);
        g.info.set_roster_epoch(std::max(g.info.roster_epoch(), st.epoch()));
    }
    return {};
}

Status Member::Impl::mark_removed(Group& g, const std::string& by, std::uint64_t expired_at) {
    if (g.info.state() == v1::LocalGroup::STATE_REMOVED) return {};
    g.info.set_state(v1::LocalGroup::STATE_REMOVED);
    const std::string expiry =
        expired_at != 0 ? "your membership in «" + group_label(g) + "» expired at " +
                              validity::format_utc_time(expired_at)
                        : std::string();
    g.info.set_removed_by(expired_at != 0 ? "expiry at " + validity::format_utc_time(expired_at) : by);
    g.keys.reset();  // every RN1, RN2 and path key is wiped with it
    g.stored_revision = 0;
    g.info.clear_replay();  // if invited back, traffic sent meanwhile is not "missing"
    if (auto s = member_client::erase_group_keys(vault_, id_hex(g.info.group_id())); !s) return s;
    if (expired_at != 0) {
        emit(Event{Event::Kind::notice, group_label(g), {}, expiry + "; keys wiped"});
    } else {
        emit(Event{Event::Kind::notice, group_label(g), by, "your membership ended (by " + by + "); keys wiped"});
    }
    return save_group(g);
}

namespace {

// The sender of a group envelope must be a member at the message's epoch: a current member, or
// one removed at a later RN2 epoch than the message's.
const v1::RosterEntry* member_at(const v1::LocalGroup& g, const std::string& key, std::uint64_t rn2_epoch) {
    for (const auto& e : g.roster()) {
        if (e.identity_key() != key) continue;
        if (e.removed_at_rn2_epoch() == 0 || rn2_epoch < e.removed_at_rn2_epoch()) return &e;
    }
    return nullptr;
}

}  // namespace

Status Member::Impl::open_group_message(Group& g, const v1::Envelope& envelope) {
    auto message = member::parse_group_message(as_bytes(envelope.payload()));
    if (!message) return message.error();
    const v1::GroupMessageHeader& h = message->header();
    if (h.group_id() != g.info.group_id()) return make_error(Errc::malformed, "message header names another group");
    if (h.sender_key() != envelope.sender_key()) {
        return make_error(Errc::auth_failed, "message sender differs from the relay-authenticated sender");
    }
    if (!g.keys) return make_error(Errc::unknown, "no keys for this group yet");
    const member::EpochId epoch{h.rn1_generation(), h.rn2_epoch()};
    auto schedule = g.keys->schedule(epoch);
    if (!schedule && schedule.error().code == Errc::unknown && g.keys->path() &&
        h.rn2_epoch() > g.keys->path()->epoch()) {
        if (auto s = inquire(g); !s) return s;  // a newer RN2 epoch than ours: the RN2 inquiry
        schedule = g.keys->schedule(epoch);
    }
    if (!schedule) return schedule.error();

    const v1::RosterEntry* sender = member_at(g.info, h.sender_key(), h.rn2_epoch());
    if (sender == nullptr) {
        if (auto s = refresh_roster(g); !s) return s;
        sender = member_at(g.info, h.sender_key(), h.rn2_epoch());
    }
    if (sender == nullptr) return make_error(Errc::forbidden, "sender is not a member at that epoch");

    auto window = check_arrival(g, h);
    if (!window) return window.error();
    if (auto s = member::open_message_into(*message, *schedule, plaintext_); !s) return s;
    record_arrival(g, h, std::move(*window));

    Event e;
    e.kind = Event::Kind::message;
    e.group = group_label(g);
    e.sender = sender->account();
    e.text.assign(plaintext_.span().begin(), plaintext_.span().end());
    e.rn1_generation = epoch.rn1_generation;
    e.rn2_epoch = epoch.rn2_epoch;
    emit(std::move(e));
    return {};
}

void Member::Impl::refuse(const std::string& where, const std::string& what, const Error& error) {
    emit(Event{Event::Kind::refused, where, {}, what + " refused: " + error.message});
}

void Member::Impl::on_group_message(Group& group, const v1::Envelope& envelope) {
    if (lan_messages_ && already_received(group, envelope)) return;  // its LAN copy came first
    const std::string where = group_label(group);
    auto s = open_group_message(group, envelope);
    if (!s && s.error().code == Errc::unknown &&
        s.error().message.find("RN1 generation not received") != std::string::npos) {
        // The RN1 rotation that keys it is on its way through the mailbox: retry later.
        char name[64];
        std::snprintf(name, sizeof name, "%s:%020llu", id_hex(group.info.group_id()).c_str(),
                      static_cast<unsigned long long>(envelope.id()));
        (void)member_client::put_message(vault_, "deferred", name, envelope);
    } else if (!s) {
        refuse(where, "message", s.error());
        account_for_refused(group, envelope);  // it arrived, even if it cannot be read
    }
}

void Member::Impl::on_withdrawal(Group& group, const v1::Envelope& envelope) {
    const std::string where = group_label(group);
    auto w = parse_payload<v1::Withdrawal>(envelope);
    Status s = w ? member::verify_withdrawal(*w) : Status(w.error());
    if (s && w->sender_key() != envelope.sender_key())
        s = make_error(Errc::auth_failed, "withdrawal sender differs from the relay-authenticated sender");
    if (!s) {
        refuse(where, "withdrawal", s.error());
        return;
    }
    // A member leaving announces it at the epoch it still belongs to, so its withdrawal
    // often arrives after the GMS's rekey has already recorded it as gone.
    const bool leaving = w->sender_key() == w->removed_key();
    const std::uint64_t at = leaving ? 0 : UINT64_MAX - 1;
    const v1::RosterEntry* sender = member_at(group.info, w->sender_key(), at);
    if (sender == nullptr && refresh_roster(group)) sender = member_at(group.info, w->sender_key(), at);
    if (sender == nullptr || (!leaving && !sender->rights().may_remove())) {
        refuse(where, "withdrawal", Error{Errc::forbidden, "its sender may not remove members"});
        return;
    }
    if (w->removed_key() == as_string(identity_.public_key())) {
        // Each withdrawal ends the membership it names by epoch: one from before this member's
        // latest join ended an earlier membership, not this one.
        if (w->epoch() <= group.info.member_since()) return;
        (void)mark_removed(group, sender->account());
    } else {
        if (group.info.policy().strict() && w->epoch() > group.info.rn1_membership_epoch()) {
            group.info.set_rotation_due_epoch(std::max(group.info.rotation_due_epoch(), w->epoch()));
            group.info.set_rotation_excluded(w->removed_account());
        }
        emit(Event{
            Event::Kind::notice, where, sender->account(),
            leaving ? w->removed_account() + " is leaving" : sender->account() + " withdrew " + w->removed_account()});
    }
}

void Member::Impl::on_invitation(const v1::Envelope& envelope) {
    auto inv = parse_payload<v1::Invitation>(envelope);
    Status s =
        inv ? member::verify_invitation(*inv, identity_.public_key(), gms_key_, now_unix()) : Status(inv.error());
    if (s && inv->inviter_key() != envelope.sender_key())
        s = make_error(Errc::auth_failed, "invitation sender differs from the relay-authenticated sender");
    if (s) s = check_contact(inv->inviter_account(), inv->inviter_key());
    auto name = s ? member::open_invitation_group_name(*inv, identity_) : Result<crypto::GroupName>(s.error());
    if (!name) {
        refuse({}, "invitation", name.error());
        return;
    }
    if (auto it = groups_.find(inv->group_id());
        it != groups_.end() && it->second.info.state() == v1::LocalGroup::STATE_ACTIVE)
        return;
    v1::ReceivedInvitation record;
    *record.mutable_invitation() = *inv;
    record.set_group_name(name->str());
    (void)member_client::put_message(vault_, "invitation", id_hex(inv->group_id()), record);
    std::string rights;
    if (inv->rights().may_invite()) rights += " may_invite";
    if (inv->rights().may_remove()) rights += " may_remove";
    emit(Event{Event::Kind::notice, id_hex(inv->group_id()).substr(0, 8), inv->inviter_account(),
               inv->inviter_account() + " invites you to «" + name->str() + "»" +
                   (rights.empty() ? "" : " with" + rights) + "; `twofold accept " +
                   id_hex(inv->group_id()).substr(0, 8) + "`"},
         inv->group_id());
}

void Member::Impl::on_rn1_delivery(const v1::Envelope& envelope) {
    auto d = parse_payload<v1::Rn1Delivery>(envelope);
    if (!d) {
        refuse({}, "RN1 delivery", d.error());
        return;
    }
    auto it = groups_.find(d->group_id());
    if (it == groups_.end()) {
        refuse({}, "RN1 delivery", Error{Errc::unknown, "for a group this member has not joined"});
        return;
    }
    Group& g = it->second;
    Status s = d->sender_key() == envelope.sender_key()
                   ? Status{}
                   : make_error(Errc::auth_failed, "RN1 delivery sender differs from the relay-authenticated sender");
    if (s && !d->invitation_nonce().empty() &&
        (d->invitation_nonce() != g.info.invitation_nonce() || d->sender_key() != g.info.inviter_key())) {
        s = make_error(Errc::forbidden, "it does not answer this member's acceptance");
    }
    if (s && d->invitation_nonce().empty()) s = check_rotation(g, *d);
    auto contents = s ? member::open_rn1_delivery(*d, identity_) : Result<member::Rn1Contents>(s.error());
    if (!contents) {
        refuse(group_label(g), "RN1 delivery", contents.error());
        return;
    }
    if (!g.info.name().empty() && g.info.name() != contents->name.str()) {
        refuse(group_label(g), "RN1 delivery", Error{Errc::forbidden, "it names the group differently"});
        return;
    }
    if (!g.keys) {
        g.info.set_name(contents->name.str());
        auto keys = member_client::load_group_keys(vault_, g.info);  // picks up a path that came first
        if (!keys) {
            refuse(group_label(g), "RN1 delivery", keys.error());
            return;
        }
        g.keys = std::move(*keys);
        g.stored_revision = g.keys->revision();  // what the store holds already
    }
    if (auto added = g.keys->add_rn1(d->rn1_generation(), std::move(contents->rn1)); !added) {
        refuse(group_label(g), "RN1 delivery", added.error());
        return;
    }
    g.info.set_rn1_since_unix(now_unix());
    g.info.set_rn1_membership_epoch(g.info.membership_epoch());
    if (!d->invitation_nonce().empty()) (void)vault_.erase("invitation", id_hex(g.info.group_id()));
    const bool joining = g.info.state() != v1::LocalGroup::STATE_ACTIVE;
    if (!g.keys->has_rn2()) (void)inquire(g);
    if (g.keys->ready() && joining) {
        g.info.set_state(v1::LocalGroup::STATE_ACTIVE);
        emit(Event{Event::Kind::notice, group_label(g), {}, "joined " + group_label(g) + "; group key ready"});
    } else {
        emit(Event{Event::Kind::notice,
                   group_label(g),
                   {},
                   "RN1 generation " + std::to_string(d->rn1_generation()) + " received"});
    }
    (void)save_group(g);  // the delivery's envelope is acknowledged with this store's commit
}

Status Member::Impl::check_rotation(Group& g, const v1::Rn1Delivery& d) {
    const v1::RosterEntry* sender = member_at(g.info, d.sender_key(), UINT64_MAX - 1);
    if (sender == nullptr) {
        (void)refresh_roster(g);
        sender = member_at(g.info, d.sender_key(), UINT64_MAX - 1);
    }
    if (sender == nullptr) return make_error(Errc::forbidden, "its sender is not a member");
    // One round trip, and only for a generation newer than any the GMS was heard to claim: the
    // RN2 inquiry's answer carries the current claims.
    if (g.rn1_claims.should_ask(d.rn1_generation())) {
        if (auto s = inquire(g); !s) {
            return make_error(s.error().code, "cannot ask the GMS who claimed RN1 generation " +
                                                  std::to_string(d.rn1_generation()) + ": " + s.error().message);
        }
    }
    crypto::SignPublicKey key{};
    std::copy(d.sender_key().begin(), d.sender_key().end(), key.begin());
    return g.rn1_claims.check(d.rn1_generation(), key, sender->account());
}

void Member::Impl::handle_envelope(const v1::Envelope& envelope) {
    Group* group = nullptr;
    if (!envelope.group_id().empty()) {
        auto it = groups_.find(envelope.group_id());
        if (it == groups_.end()) return;  // not ours (any more)
        group = &it->second;
    }
    // A store that cannot say leaves it to be processed: a duplicate is refused further on (replay
    // windows, one admission per nonce), a drop would be silent.
    if (auto seen = already_processed(group, envelope); seen && *seen) return;  // a redelivery

    switch (envelope.type()) {
        case v1::ENVELOPE_TYPE_GROUP_MESSAGE:
            if (group) on_group_message(*group, envelope);
            break;
        case v1::ENVELOPE_TYPE_WITHDRAWAL:
            if (group) on_withdrawal(*group, envelope);
            break;
        case v1::ENVELOPE_TYPE_REKEY:
            if (group) on_rekey_envelope(*group, envelope);
            break;
        case v1::ENVELOPE_TYPE_INVITATION: on_invitation(envelope); break;
        case v1::ENVELOPE_TYPE_ACCEPTANCE: on_acceptance(envelope); break;
        case v1::ENVELOPE_TYPE_RN1_DELIVERY: on_rn1_delivery(envelope); break;
        case v1::ENVELOPE_TYPE_ADMISSION_REFUSAL: on_admission_refusal(envelope); break;
        case v1::ENVELOPE_TYPE_DIRECT_OFFER: on_direct_offer(envelope); break;
        case v1::ENVELOPE_TYPE_DIRECT_ANSWER:  // taken only by a running `invite --direct`
            refuse({}, "direct answer", Error{Errc::stale_epoch, "no direct invitation is waiting for it here"});
            break;
        default:
            refuse(group ? group_label(*group) : std::string(), "envelope",
                   Error{Errc::malformed, "unknown envelope type"});
            break;
    }

    note_processed(group, envelope);
}

Status Member::Impl::retry_deferred() {
    auto names = vault_.names("deferred");
    if (!names) return names.error();
    for (const auto& name : *names) {
        v1::Envelope envelope;
        auto ok = member_client::get_message(vault_, "deferred", name, envelope);
        if (!ok) return ok.error();
        auto it = groups_.find(envelope.group_id());
        if (it == groups_.end() || !it->second.keys) continue;
        auto message = member::parse_group_message(as_bytes(envelope.payload()));
        if (message &&
            !it->second.keys->schedule({message->header().rn1_generation(), message->header().rn2_epoch()}) &&
            it->second.keys->rn1s().rbegin()->first < message->header().rn1_generation()) {
            continue;  // its RN1 generation has still not arrived
        }
        if (auto s = vault_.begin(); !s) return s;
        if (auto s = open_group_message(it->second, envelope); !s) {
            emit(Event{Event::Kind::refused, group_label(it->second), {}, "message refused: " + s.error().message});
            account_for_refused(it->second, envelope);
        }
        (void)save_group(it->second);
        if (auto s = vault_.erase("deferred", name); !s) return s;
        if (auto s = vault_.commit(); !s) return s;
    }
    return {};
}

}  // namespace twofold
