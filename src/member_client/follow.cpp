// The continuous mode of `twofold chat` and `twofold recv --follow`: both connections stay open;
// envelopes, rekeys and removals are processed as they arrive and handed to the caller at once.
#include "member_client/member_impl.h"

namespace twofold {

Status Member::follow(const std::optional<std::string>& group, const std::function<void(const Event&)>& on_event,
                      const std::function<std::optional<std::string>()>& outgoing,
                      const std::function<bool()>& should_stop, std::chrono::milliseconds poll) {
    Status s = follow_loop(group, on_event, outgoing, should_stop, poll);
    if (!s) return impl_->sync_failed(s.error());  // drops both connections; names what is pending
    return s;
}

Status Member::follow_loop(const std::optional<std::string>& group, const std::function<void(const Event&)>& on_event,
                           const std::function<std::optional<std::string>()>& outgoing,
                           const std::function<bool()>& should_stop, std::chrono::milliseconds poll) {
    Impl& m = *impl_;
    auto backlog = recv(group);  // what arrived before: the store's inbox, then this sync's
    if (!backlog) return backlog.error();
    std::optional<std::string> gid;
    std::string label;
    if (group) {
        auto g = m.find_group(*group);
        if (!g) return g.error();
        gid = (*g)->info.group_id();
        label = m.group_label(**g);
    }
    for (const auto& e : *backlog) on_event(e);

    m.to_inbox_ = false;
    struct RestoreInbox {
        Impl& m;
        ~RestoreInbox() { m.to_inbox_ = true; }
    } restore{m};

    while (!should_stop()) {
        m.events_.clear();
        m.pending_.clear();
        auto envelope = m.relay_->receive(poll);
        if (envelope) {
            if (auto s = m.vault_.begin(); !s) return s;
            m.handle_envelope(*envelope);
            if (auto s = m.vault_.commit(); !s) return s;
            const std::uint64_t id = envelope->id();
            if (auto s = m.relay_->ack(std::span<const std::uint64_t>(&id, 1)); !s) return s;
        } else if (envelope.error().code != Errc::timeout) {
            return envelope.error();
        }
        const bool quiet = !envelope;
        if (auto s = m.drain_pushes(false); !s) return s;
        if (auto s = m.subscribe_all(); !s) return s;  // a new membership epoch needs a new statement
        if (auto s = m.retry_deferred(); !s) return s;
        if (quiet) {
            if (auto s = m.report_gaps(); !s) return s;  // nothing in flight: a gap now is a drop
            if (auto s = m.retry_admissions(); !s) return s;
        }
        if (m.connection_lost_) return Error{Errc::unavailable, "a server connection failed"};
        if (gid && outgoing) {
            while (auto text = outgoing()) {
                auto it = m.groups_.find(*gid);
                if (auto s = m.send_text(it->second, *text); !s) {
                    on_event(Event{Event::Kind::refused, label, m.config_.account(), "not sent: " + s.error().message});
                }
            }
        }
        for (const auto& e : m.events_) {
            if (!group || e.group == label || e.group_id.empty()) on_event(e);
        }
    }
    return {};
}

}  // namespace twofold
