// The LAN paths (docs/rekey-delivery.md): in follow mode a member joins the multicast session the
// GMS announced for each of its groups and takes the GMS-signed rekeys sent there; with
// set_lan_messages (`chat --lan`) it also sends its group messages there and reads the others',
// so members on one LAN keep talking while the relay is unreachable. Nothing on the LAN is
// trusted: a rekey is checked like one from any path, a message like one from the relay, and the
// copy that arrives second (by (sender, sequence)) is dropped.
#include <chrono>

#include "member_client/member_impl.h"
#include "wire/message.h"
#include "wire/signed_rekey.h"
#include "wire/validate.h"

namespace twofold {

Status Member::Impl::open_lan_sessions(bool join) {
    for (const v1::GroupStatus& status : statuses_) {
        if (!status.has_lan_session() || lan_sessions_.contains(status.group_id())) continue;
        auto group = groups_.find(status.group_id());
        if (group == groups_.end()) continue;
        const v1::SessionAnnouncement& a = status.lan_session();
        if (auto s = lan::verify_announcement(a, gms_key_, status.group_id(), now_unix()); !s) {
            refuse(group_label(group->second), "multicast session announcement", s.error());
            continue;
        }
        net::MulticastOptions o;
        o.group = a.address();
        o.port = static_cast<std::uint16_t>(a.port());
        o.ttl = static_cast<std::uint8_t>(a.ttl());
        o.join = join;
        auto socket = net::MulticastSocket::open(o);
        if (!socket) {
            // No multicast here (no route, no interface): the relay and the GMS still deliver.
            refuse(group_label(group->second), "multicast session " + lan::format_address(a.address()),
                   socket.error());
            continue;
        }
        lan_sessions_[status.group_id()] = LanSession{a, std::move(*socket)};
        lan_stats_.sessions = lan_sessions_.size();
    }
    return {};
}

void Member::set_lan_messages(bool on) { impl_->lan_messages_ = on; }

LanStats Member::lan_stats() const { return impl_->lan_stats_; }

void Member::set_rekey_observer(std::function<void(const RekeyArrival&)> observer) {
    impl_->rekey_observer_ = std::move(observer);
}

void Member::Impl::poll_lan() {
    for (auto& [gid, session] : lan_sessions_) {
        for (;;) {
            auto datagram = session.socket->receive(std::chrono::milliseconds(0));
            if (!datagram) break;  // nothing more waiting (or the socket failed: the other paths remain)
            on_lan_datagram(gid, *datagram);
        }
    }
}

void Member::Impl::on_lan_datagram(const std::string& gid, ByteView bytes) {
    auto group = groups_.find(gid);
    if (group == groups_.end()) return;
    Group& g = group->second;
    auto datagram = wire::parse_message<v1::LanDatagram>(bytes);
    if (!datagram) return refuse(group_label(g), "multicast datagram", datagram.error());
    if (datagram->group_id() != gid) {
        // Another group's datagram on this group's address (or port): never taken as this group's.
        return refuse(group_label(g), "multicast datagram", Error{Errc::forbidden, "it names another group"});
    }
    if (datagram->has_signed_rekey()) {
        auto signed_rekey = wire::parse_message<v1::SignedRekey>(as_bytes(datagram->signed_rekey()));
        if (!signed_rekey) return refuse(group_label(g), "rekey by multicast", signed_rekey.error());
        const std::uint64_t held = g.keys && g.keys->path() ? g.keys->path()->epoch() : 0;
        if (wire::verify_rekey(*signed_rekey, gms_key_)) ++lan_stats_.rekeys_received;
        if (auto s = take_rekey(*signed_rekey, gid, "multicast"); !s) {
            note_pending("the RN2 inquiry after a rekey by multicast", s.error());
        }
        const std::uint64_t now_held = g.keys && g.keys->path() ? g.keys->path()->epoch() : 0;
        if (now_held > held) ++lan_stats_.rekeys_applied;
        return;
    }
    if (datagram->has_group_message() && lan_messages_) {
        const v1::Envelope& envelope = datagram->group_message();
        if (envelope.type() != v1::ENVELOPE_TYPE_GROUP_MESSAGE || envelope.group_id() != gid) {
            return refuse(group_label(g), "multicast datagram", Error{Errc::malformed, "not a group message of this group"});
        }
        if (envelope.sender_key() == as_string(identity_.public_key())) return;  // our own, looped back
        if (already_received(g, envelope)) return;  // the relay's copy came first
        if (auto s = vault_.begin(); !s) return note_pending("a message by multicast", s.error());
        ++lan_stats_.messages_received;
        on_group_message(g, envelope);
        if (auto s = vault_.commit(); !s) note_pending("a message by multicast", s.error());
    }
}

bool Member::Impl::send_lan_message(Group& g, const std::string& message) {
    auto session = lan_sessions_.find(g.info.group_id());
    if (!lan_messages_ || session == lan_sessions_.end()) return false;
    v1::LanDatagram datagram;
    datagram.set_group_id(g.info.group_id());
    v1::Envelope& envelope = *datagram.mutable_group_message();
    envelope.set_type(v1::ENVELOPE_TYPE_GROUP_MESSAGE);
    envelope.set_sender_key(as_string(identity_.public_key()));
    envelope.set_group_id(g.info.group_id());
    envelope.set_payload(message);
    const std::string bytes = datagram.SerializeAsString();
    if (auto s = session->second.socket->send(as_bytes(bytes)); !s) {
        refuse(group_label(g), "message by multicast", s.error());
        return false;
    }
    ++lan_stats_.messages_sent;
    return true;
}

}  // namespace twofold
