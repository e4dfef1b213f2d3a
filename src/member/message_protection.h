// Group messages (docs/protocol.md §"Group messages"): the plaintext is encrypted with
// XChaCha20-Poly1305 under a key per (sender, sequence) from the epoch's key schedule, the header
// (format version, group, RN1 generation, RN2 epoch, sender, sequence, key-confirmation id, nonce)
// is the associated data, and the sender signs header and SHA-256 of the ciphertext with its
// Ed25519 identity key.
//
// Checks run cheapest first: shape, key-confirmation id (a member holding another GK is caught
// here, before any crypto), signature, then AEAD. Pure: no clock, no I/O.
//
// This layer proves only that the holder of header.sender_key wrote the message for this epoch;
// whether that key belongs to a member of the group is the caller's question.
#pragma once

#include <cstdint>

#include "core/result.h"
#include "crypto/digest.h"
#include "crypto/key_schedule.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "twofold/v1/member.pb.h"

namespace twofold::member {

inline constexpr std::size_t kMaxMessagePlaintextBytes = std::size_t{512} * 1024;
// A serialised GroupMessage above this is refused unparsed: the largest ciphertext plus room for
// the header, signature and protobuf tags (about 260 bytes) with margin.
inline constexpr std::size_t kMaxGroupMessageBytes = kMaxMessagePlaintextBytes + 1024;

// header.format_version of what protect_message writes and the only one open_message reads.
// Version 1 (the field absent) signed BLAKE2b-256 of the ciphertext; 2 signs SHA-256 of it.
inline constexpr std::uint32_t kGroupMessageFormatVersion = 2;

// The epoch a message belongs to: GK changes when either number does.
struct EpochId {
    std::uint64_t rn1_generation = 0;
    std::uint64_t rn2_epoch = 0;
    friend bool operator==(const EpochId&, const EpochId&) = default;
    friend auto operator<=>(const EpochId&, const EpochId&) = default;
};

// Encrypts and signs; returns the serialised v1::GroupMessage. too_large above the limit,
// invalid_argument for a group id that is not 16 bytes.
Result<Bytes> protect_message(ByteView group_id, EpochId epoch, const crypto::EpochKeySchedule& keys,
                              const crypto::SigningKey& sender, std::uint64_t sequence, ByteView plaintext);

// Parses and checks field shapes (sizes of group id, keys, nonce, signature; a ciphertext of at
// least the tag and at most the limit): malformed or too_large, naming the field; a format
// version other than kGroupMessageFormatVersion is malformed, naming both versions. Input above
// kMaxGroupMessageBytes is too_large unparsed. No keys needed: the header names the epoch.
Result<v1::GroupMessage> parse_group_message(ByteView bytes);

// Opens a parsed message with the keys of the epoch its header names. Errors, each naming the
// reason: auth_failed "key-confirmation id differs: the sender holds a different group key",
// auth_failed "signature does not verify", auth_failed "ciphertext was altered"; and the shape
// errors of parse_group_message for a message built by hand.
Result<crypto::SecretBuffer> open_message(const v1::GroupMessage& message, const crypto::EpochKeySchedule& keys);

// The same, into a buffer the caller keeps: a fresh secure allocation per message costs several
// system calls, so a receiver on a hot path reuses one. On failure `plaintext` is emptied.
Status open_message_into(const v1::GroupMessage& message, const crypto::EpochKeySchedule& keys,
                         crypto::SecretBuffer& plaintext);

// The canonical bytes, fixed layout, integers big-endian (never the protobuf encoding, which is
// not canonical):
//   associated data = "twofold/v1 group message" ‖ 0x00 ‖ format_version(1) ‖ group_id(16)
//                     ‖ rn1_generation(8) ‖ rn2_epoch(8) ‖ sender_key(32) ‖ sequence(8)
//                     ‖ key_confirmation_id(16) ‖ nonce(24)
//   signed bytes    = associated data ‖ SHA-256(ciphertext)          (crypto::ciphertext_digest)
// Defined only for messages whose shape has been checked (parse_group_message).
inline constexpr std::size_t kGroupMessageAdBytes = 138;
using crypto::kCiphertextDigestBytes;
FixedBytes<kGroupMessageAdBytes> group_message_associated_data(const v1::GroupMessageHeader& header);
FixedBytes<kGroupMessageAdBytes + kCiphertextDigestBytes> group_message_signed_bytes(const v1::GroupMessage& message);

// Whether a parsed message was signed by the key its header names, without opening it: a
// message that cannot be opened (an expired epoch) still proves that its sender sent that
// sequence number, so it is not reported as missing (replay_window.h).
Status verify_message_signature(const v1::GroupMessage& message);

}  // namespace twofold::member
