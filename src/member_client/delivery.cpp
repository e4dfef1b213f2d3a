// Which group messages arrived: one replay window per sender in the group's record, and the
// reports of sequence numbers that never came (the relay dropped or withheld them). The
// threat model's "dropping is detected" is this file; docs/member.md §"Missing messages".
#include <algorithm>

#include "crypto/hex.h"
#include "member/message_protection.h"
#include "member/replay_window.h"
#include "member_client/member_impl.h"

namespace twofold {

namespace {

Result<member::ReplayWindow> window_of(const v1::LocalGroup& g, const std::string& sender_hex) {
    const auto it = g.replay().find(sender_hex);
    if (it == g.replay().end()) return member::ReplayWindow{};
    return member::ReplayWindow::parse(as_bytes(it->second));
}

void store_window(v1::LocalGroup& g, const std::string& sender_hex, const member::ReplayWindow& w) {
    (*g.mutable_replay())[sender_hex] = as_string(w.serialise());
}

// The roster's name for a sender, current or removed: its messages still count as arrived.
std::string account_of(const v1::LocalGroup& g, const std::string& sender_hex) {
    for (const auto& e : g.roster()) {
        if (crypto::to_hex(as_bytes(e.identity_key())) == sender_hex) return e.account();
    }
    return "sender " + sender_hex.substr(0, 16);
}

std::string describe(const std::vector<member::SequenceRange>& ranges, std::uint64_t& count) {
    std::string seqs;
    count = 0;
    for (const auto& r : ranges) {
        count += r.count();
        if (!seqs.empty()) seqs += ", ";
        seqs += r.first == r.last ? std::to_string(r.first) : std::to_string(r.first) + "-" + std::to_string(r.last);
    }
    return seqs;
}

}  // namespace

Result<member::ReplayWindow> Member::Impl::check_arrival(const Group& g, const v1::GroupMessageHeader& h) const {
    auto window = window_of(g.info, crypto::to_hex(as_bytes(h.sender_key())));
    if (!window) return window.error();
    if (auto s = window->check(h.sequence()); !s) return s.error();
    return window;
}

bool Member::Impl::already_received(const Group& g, const v1::Envelope& envelope) const {
    auto message = member::parse_group_message(as_bytes(envelope.payload()));
    if (!message) return false;  // refused on the normal path, with its reason
    auto window = window_of(g.info, crypto::to_hex(as_bytes(message->header().sender_key())));
    return window && window->received(message->header().sequence());
}

void Member::Impl::record_arrival(Group& g, const v1::GroupMessageHeader& h, member::ReplayWindow window) {
    const std::string sender_hex = crypto::to_hex(as_bytes(h.sender_key()));
    std::vector<member::SequenceRange> lost;
    window.mark(h.sequence(), &lost);
    store_window(g.info, sender_hex, window);
    arrivals_since_report_ = true;
    report_missing(g, sender_hex, lost);
}

void Member::Impl::account_for_refused(Group& g, const v1::Envelope& envelope) {
    // Only a message its sender signed proves the number was sent; a roster member's key keeps
    // anyone else from filling the store with windows.
    auto message = member::parse_group_message(as_bytes(envelope.payload()));
    if (!message) return;
    const v1::GroupMessageHeader& h = message->header();
    if (h.group_id() != g.info.group_id() || h.sender_key() != envelope.sender_key()) return;
    const auto& roster = g.info.roster();
    if (std::none_of(roster.begin(), roster.end(), [&](const auto& e) { return e.identity_key() == h.sender_key(); }))
        return;
    auto window = check_arrival(g, h);
    if (!window || !member::verify_message_signature(*message)) return;
    record_arrival(g, h, std::move(*window));
}

void Member::Impl::report_missing(const Group& g, const std::string& sender_hex,
                                  const std::vector<member::SequenceRange>& ranges) {
    if (ranges.empty()) return;
    std::uint64_t count = 0;
    const std::string seqs = describe(ranges, count);
    const std::string who = account_of(g.info, sender_hex);
    emit(Event{Event::Kind::missing, group_label(g), who,
               std::to_string(count) + (count == 1 ? " message" : " messages") + " from " + who + " never arrived" +
                   " (sequence " + seqs + "): the relay dropped or withheld " + (count == 1 ? "it" : "them") +
                   ", or the sender could not send " + (count == 1 ? "it" : "them")});
}

Status Member::Impl::report_gaps() {
    if (!arrivals_since_report_) return {};  // a hole opens only when a later number arrives
    // A group with deferred messages (waiting for an RN1 rotation) is reported on later: those
    // arrived, and are marked only once they open.
    auto deferred = vault_.names("deferred");
    if (!deferred) return deferred.error();
    bool waiting = false;
    for (auto& [gid, g] : groups_) {
        if (g.info.state() != v1::LocalGroup::STATE_ACTIVE) continue;
        const std::string prefix = id_hex(gid) + ":";
        if (std::any_of(deferred->begin(), deferred->end(), [&](const std::string& n) { return n.starts_with(prefix); })) {
            waiting = true;
            continue;
        }
        std::vector<std::pair<std::string, std::vector<member::SequenceRange>>> reports;
        v1::LocalGroup updated = g.info;
        for (auto& [sender_hex, bytes] : *updated.mutable_replay()) {
            auto window = member::ReplayWindow::parse(as_bytes(bytes));
            if (!window) continue;
            auto gaps = window->take_gaps();
            if (gaps.empty()) continue;
            bytes = as_string(window->serialise());
            reports.emplace_back(sender_hex, std::move(gaps));
        }
        if (reports.empty()) continue;
        // The reports and the windows that say they were made land in one transaction.
        if (auto s = vault_.begin(); !s) return s;
        g.info = std::move(updated);
        for (const auto& [sender_hex, gaps] : reports) report_missing(g, sender_hex, gaps);
        if (auto s = save_group(g); !s) {
            (void)vault_.rollback();
            return s;
        }
        if (auto s = vault_.commit(); !s) return s;
    }
    arrivals_since_report_ = waiting;
    return {};
}

}  // namespace twofold
