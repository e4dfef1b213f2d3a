#include "member/direct_channel.h"

#include "crypto/hex.h"
#include "crypto/x25519.h"
#include "handshake/direct_route_keys.h"
#include "wire/message.h"

namespace twofold::member {

namespace {

std::string x25519_fingerprint(const crypto::X25519PublicKey& key) {
    return "x25519:" + crypto::to_hex(key).substr(0, 16);
}

}  // namespace

Result<DirectChannel> DirectChannel::create(Side side, const crypto::SigningKey& identity,
                                            const crypto::SignPublicKey& expected_peer, const handshake::CpaceIsk& isk,
                                            ByteView prologue) {
    auto psk = handshake::direct_route_noise_psk(isk);
    if (!psk) return psk.error();
    const auto role = side == Side::invitee ? handshake::NoiseRole::initiator : handshake::NoiseRole::responder;
    auto statics = handshake::NoiseKeyPair::from(crypto::X25519KeyPair::from_signing_key(identity));
    return DirectChannel(side, handshake::NoiseXXpsk3Handshake(role, std::move(statics), std::move(*psk), prologue),
                         expected_peer);
}

DirectChannel::DirectChannel(Side side, handshake::NoiseXXpsk3Handshake handshake,
                             const crypto::SignPublicKey& expected_peer)
    : side_(side), handshake_(std::move(handshake)), expected_peer_(expected_peer) {}

Result<Bytes> DirectChannel::start() {
    if (side_ != Side::invitee || !handshake_ || messages_seen_ != 0) {
        return make_error(Errc::invalid_argument, "only the invitee starts the direct channel's handshake");
    }
    messages_seen_ = 1;
    return handshake_->write_message({});
}

Status DirectChannel::check_peer_static(const crypto::X25519PublicKey& seen) const {
    auto expected = crypto::x25519_public_from_ed25519(expected_peer_);
    if (!expected) return expected.error();
    if (*expected != seen) {
        return make_error(Errc::auth_failed, "the peer's static key " + x25519_fingerprint(seen) +
                                                 " differs from the one in the GMS's identity statement " +
                                                 x25519_fingerprint(*expected));
    }
    return {};
}

Result<std::optional<Bytes>> DirectChannel::on_handshake(ByteView message) {
    if (!handshake_) return make_error(Errc::invalid_argument, "the direct channel's handshake is over");
    auto payload = handshake_->read_message(message);
    if (!payload) {
        handshake_.reset();  // a failed handshake stays failed
        // Message 3 is where the PSK enters: a failure there means the two CPace runs disagreed.
        if (side_ == Side::inviter && messages_seen_ == 2) {
            return make_error(Errc::auth_failed, std::string(kCodeMismatch));
        }
        return payload.error();
    }
    ++messages_seen_;
    std::optional<Bytes> reply;
    if (!handshake_->complete()) {
        auto written = handshake_->write_message({});
        if (!written) return written.error();
        ++messages_seen_;
        reply = std::move(*written);
    }
    if (!handshake_->complete()) return reply;
    auto transport = handshake_->finish();
    handshake_.reset();
    if (!transport) return transport.error();
    if (auto s = check_peer_static(transport->remote_static); !s) return s.error();
    transport_ = std::move(*transport);
    return reply;
}

Result<Bytes> DirectChannel::seal(const v1::DirectChannelMessage& message) {
    if (!transport_) return make_error(Errc::invalid_argument, "the direct channel is not established");
    const std::string plain = message.SerializeAsString();
    return transport_->send.encrypt_with_ad({}, as_bytes(plain));
}

Result<v1::DirectChannelMessage> DirectChannel::open(ByteView frame) {
    if (!transport_) return make_error(Errc::invalid_argument, "the direct channel is not established");
    if (frame.size() > kDirectChannelMessageMaxBytes) {
        return make_error(Errc::too_large, "direct channel message above " +
                                               std::to_string(kDirectChannelMessageMaxBytes) + " bytes");
    }
    auto plain = transport_->receive.decrypt_with_ad({}, frame);
    if (!plain) return make_error(plain.error().code, "direct channel message: " + plain.error().message);
    v1::DirectChannelMessage m;
    if (!m.ParseFromArray(plain->span().data(), static_cast<int>(plain->span().size()))) {
        return make_error(Errc::malformed, "direct channel message does not parse");
    }
    return m;
}

}  // namespace twofold::member
