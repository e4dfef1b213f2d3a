// Rekeys once per group: the GMS (a connection authenticated with the GMS's signing key, which
// the relay already pins to check statements) publishes each signed rekey to the group's topic,
// and the relay fans it out to the group's members like any group envelope (retention and
// backfill included). The relay checks the GMS signature before storing anything, so neither a
// member nor anyone else can put a rekey on a topic; members check it again themselves.
#include "relay/core.h"
#include "wire/error_code.h"
#include "wire/signed_rekey.h"

namespace twofold::relay {

namespace {

Outgoing refusal(ConnId to, std::uint64_t request_id, Errc code, const std::string& message) {
    v1::RelayResponse r;
    r.set_request_id(request_id);
    r.mutable_error()->set_code(wire::to_wire(code));
    r.mutable_error()->set_message(message);
    return Outgoing{to, std::make_shared<const std::string>(r.SerializeAsString())};
}

}  // namespace

void RelayCore::on_publish_rekey(ConnId id, Conn& c, const v1::RelayRequest& r, std::uint64_t now_ms,
                                 std::vector<Outgoing>& out) {
    const std::string& bytes = r.publish_rekey().signed_rekey();
    // Cheap checks first: who is asking, and the size, before the signature.
    if (c.key != std::string(gms_key_.begin(), gms_key_.end())) {
        return out.push_back(refusal(id, r.request_id(), Errc::forbidden,
                                     "only the GMS publishes rekeys (this connection is not the GMS's key)"));
    }
    if (bytes.size() > config_.max_envelope_bytes) {
        return out.push_back(refusal(id, r.request_id(), Errc::too_large,
                                     "signed rekey of " + std::to_string(bytes.size()) + " bytes exceeds the maximum of " +
                                         std::to_string(config_.max_envelope_bytes)));
    }
    auto signed_rekey = wire::parse_signed_rekey(as_bytes(bytes), gms_key_);
    if (!signed_rekey) {
        return out.push_back(
            refusal(id, r.request_id(), signed_rekey.error().code, "rekey refused: " + signed_rekey.error().message));
    }
    // No token bucket: the GMS publishes one rekey per group per batch, and holding one back
    // would only delay members' keys. Authentication and the signature bound who can publish.
    const v1::Rekey& rekey = signed_rekey->rekey();
    const std::uint64_t epoch = rekey.membership_epoch();
    std::vector<MemberKey> recipients = recipients_of(rekey.group_id(), c.key, epoch, bytes.size());
    if (auto s = make_room(rekey.group_id(), bytes.size()); !s) {
        return out.push_back(refusal(id, r.request_id(), Errc::internal, "the relay could not store it"));
    }
    StoredEnvelope e;
    e.type = v1::ENVELOPE_TYPE_REKEY;
    e.sender_key = c.key;
    e.group_id = rekey.group_id();
    e.payload = bytes;  // byte for byte what the GMS signed and sent: members verify it themselves
    e.expires_ms = now_ms + config_.ttl_ms;
    e.epoch = epoch;
    store_envelope(id, r.request_id(), std::move(e), std::move(recipients), out);
}

}  // namespace twofold::relay
