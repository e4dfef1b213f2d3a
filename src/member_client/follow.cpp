// The continuous mode of `twofold chat` and `twofold recv --follow`: both connections stay open;
// envelopes, rekeys and removals are processed as they arrive and handed to the caller at once.
#include <thread>

#include "member_client/member_impl.h"

namespace twofold {

namespace {

constexpr std::chrono::milliseconds kLanSlice{10};  // the longest a multicast datagram waits
constexpr std::chrono::seconds kRelayRetry{3};      // LAN only: how often the relay is tried again

}  // namespace

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
    if (auto s = m.open_lan_sessions(true); !s) return s;
    for (const auto& e : m.events_) on_event(e);  // sessions that could not be joined, and why

    m.to_inbox_ = false;
    m.lan_before_envelopes_ = true;  // the multicast sessions are read before each envelope, as always
    struct RestoreInbox {
        Impl& m;
        ~RestoreInbox() {
            m.to_inbox_ = true;
            m.lan_before_envelopes_ = false;
        }
    } restore{m};

    // With multicast sessions the relay is waited on in short slices, so a datagram waits at most
    // one slice; with LAN messages on, the loss of the relay is survived (the LAN carries on).
    const auto slice = m.lan_sessions_.empty() ? poll : std::min(poll, kLanSlice);
    auto relay_retry = std::chrono::steady_clock::now();
    while (!should_stop()) {
        m.events_.clear();
        m.pending_.clear();
        if (!m.relay_ && std::chrono::steady_clock::now() >= relay_retry) {
            relay_retry = std::chrono::steady_clock::now() + kRelayRetry;
            if (m.connect()) {
                m.emit(Event{Event::Kind::notice, label, {}, "the relay is reachable again"});
            }
        }
        Status envelope = Error{Errc::timeout, "no envelope"};
        m.lan_polled_ = false;
        if (m.relay_) {
            envelope = m.relay_->receive(slice);  // each envelope processed, committed, acknowledged
        } else {
            std::this_thread::sleep_for(slice);
        }
        if (!envelope && envelope.error().code == Errc::unavailable && m.lan_messages_ && !m.lan_sessions_.empty()) {
            m.relay_.reset();
            m.subscribed_.clear();
            m.connection_lost_ = false;
            relay_retry = std::chrono::steady_clock::now() + kRelayRetry;
            m.emit(Event{Event::Kind::notice, label, {},
                         "the relay is unreachable (" + envelope.error().message +
                             "): messages go on the LAN only until it is back"});
            envelope = Error{Errc::timeout, "no envelope"};
        }
        if (!m.lan_polled_) m.poll_lan();
        if (!envelope && envelope.error().code != Errc::timeout) {
            return envelope.error();
        }
        const bool quiet = !envelope;
        if (auto s = m.drain_pushes(false); !s) return s;
        if (m.relay_) {
            if (auto s = m.subscribe_all(); !s) return s;  // a new membership epoch needs a new statement
        }
        if (auto s = m.retry_deferred(); !s) return s;
        if (quiet && m.relay_) {
            if (auto s = m.report_gaps(); !s) return s;  // nothing in flight: a gap now is a drop
            if (auto s = m.retry_admissions(); !s) return s;
        }
        if (m.connection_lost_ && !m.relay_ && m.lan_messages_) m.connection_lost_ = false;  // known: LAN only
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
