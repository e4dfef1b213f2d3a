// The direct route's channel (docs/direct-route.md §4), sans-I/O: Noise_XXpsk3 between the two
// members' identity keys (their X25519 forms), keyed by the PSK that CPace made from the
// invitation code, with a prologue binding the signed offer and answer. Frames in, frames out;
// the caller moves them over the ICE stream.
//
// Roles: the invitee is the Noise initiator, the inviter the responder. The PSK enters at
// message 3, which the responder checks: so the inviter, who counts the failed tries of its
// code, is the side that learns first that the code did not match.
#pragma once

#include <optional>

#include "core/result.h"
#include "crypto/sign.h"
#include "handshake/cpace.h"
#include "handshake/noise_xxpsk3.h"
#include "twofold/v1/member.pb.h"

namespace twofold::member {

// What the invitee's code check failed with, word for word (tests and the CLI match it).
inline constexpr std::string_view kCodeMismatch = "invitation code does not match";
// A channel message above this is refused (the largest, an invitation, is a few hundred bytes).
inline constexpr std::size_t kDirectChannelMessageMaxBytes = 16 * 1024;

class DirectChannel {
  public:
    enum class Side { inviter, invitee };

    // expected_peer: the peer's Ed25519 identity key as the GMS's statement gives it (the
    // invitee's registered key for the inviter; the offer's signer, whose GMS statement the
    // invitee checked, for the invitee).
    static Result<DirectChannel> create(Side side, const crypto::SigningKey& identity,
                                        const crypto::SignPublicKey& expected_peer, const handshake::CpaceIsk& isk,
                                        ByteView prologue);

    // The invitee's first handshake message (the inviter has none to start with).
    Result<Bytes> start();
    // A handshake message from the peer; gives the reply to send, if this side has one.
    Result<std::optional<Bytes>> on_handshake(ByteView message);
    bool established() const noexcept { return transport_.has_value(); }
    // The handshake hash: equal on both sides of an established channel.
    const handshake::NoiseHash& handshake_hash() const { return transport_->handshake_hash; }

    Result<Bytes> seal(const v1::DirectChannelMessage& message);
    Result<v1::DirectChannelMessage> open(ByteView frame);

  private:
    DirectChannel(Side side, handshake::NoiseXXpsk3Handshake handshake, const crypto::SignPublicKey& expected_peer);
    Status check_peer_static(const crypto::X25519PublicKey& seen) const;

    Side side_;
    std::optional<handshake::NoiseXXpsk3Handshake> handshake_;
    std::optional<handshake::NoiseTransport> transport_;
    crypto::SignPublicKey expected_peer_{};
    int messages_seen_ = 0;
};

}  // namespace twofold::member
