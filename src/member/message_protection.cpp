#include "member/message_protection.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <string_view>

#include "crypto/aead.h"
#include "crypto/random.h"
#include "wire/message.h"
#include "wire/validate.h"

namespace twofold::member {

namespace {

constexpr std::string_view kHeaderLabel = "twofold/v1 group message";
constexpr std::size_t kMaxCiphertextBytes = kMaxMessagePlaintextBytes + crypto::kAeadTagBytes;

static_assert(kHeaderLabel.size() + 1 + 1 + wire::kGroupIdBytes + 8 + 8 + wire::kIdentityKeyBytes + 8 +
                  wire::kKeyConfirmationIdBytes + wire::kMessageNonceBytes ==
              kGroupMessageAdBytes);
static_assert(crypto::kAeadNonceBytes == wire::kMessageNonceBytes);
static_assert(crypto::kKeyConfirmationIdBytes == wire::kKeyConfirmationIdBytes);
static_assert(crypto::kSignPublicKeyBytes == wire::kIdentityKeyBytes);
static_assert(kMaxGroupMessageBytes <= wire::kDefaultMaxFrameBytes, "a group message must fit in one frame");

// Writes fixed-width fields in order. A field of the wrong size (only possible for a message
// whose shape was not checked) is cut or zero-padded, so the layout never moves.
class FixedWriter {
  public:
    explicit FixedWriter(MutableByteView out) : out_(out) {}

    void field(ByteView bytes, std::size_t width) {
        const std::size_t n = std::min(bytes.size(), width);
        std::copy_n(bytes.begin(), n, out_.begin() + static_cast<std::ptrdiff_t>(at_));
        std::fill_n(out_.begin() + static_cast<std::ptrdiff_t>(at_ + n), width - n, std::uint8_t{0});
        at_ += width;
    }
    void byte(std::uint8_t v) { out_[at_++] = v; }
    void u64(std::uint64_t v) {
        for (int shift = 56; shift >= 0; shift -= 8) out_[at_++] = static_cast<std::uint8_t>(v >> shift);
    }
    std::size_t written() const noexcept { return at_; }

  private:
    MutableByteView out_;
    std::size_t at_ = 0;
};

static_assert(kGroupMessageFormatVersion <= 0xff, "the version is one byte of the associated data");

// Version 1 never wrote the field, so an absent one (0) is named as 1.
Status check_format_version(std::uint32_t version) {
    if (version == kGroupMessageFormatVersion) return {};
    return make_error(Errc::malformed, "group message format version " + std::to_string(version == 0 ? 1 : version) +
                                           " is not accepted: this member reads version " +
                                           std::to_string(kGroupMessageFormatVersion));
}

Status check_shape(const v1::GroupMessage& message) {
    if (auto s = wire::validate(message); !s) return s;
    if (auto s = check_format_version(message.header().format_version()); !s) return s;
    const std::size_t n = message.ciphertext().size();
    if (n < crypto::kAeadTagBytes) {
        return make_error(Errc::malformed,
                          "ciphertext must hold at least the 16-byte tag, got " + std::to_string(n) + " bytes");
    }
    if (n > kMaxCiphertextBytes) {
        return make_error(Errc::too_large, "ciphertext of " + std::to_string(n) + " bytes exceeds the maximum of " +
                                               std::to_string(kMaxCiphertextBytes));
    }
    return {};
}

Status verify_signature_of_checked(const v1::GroupMessage& message) {
    if (!crypto::verify_signature(as_bytes(message.header().sender_key()), group_message_signed_bytes(message),
                                  as_bytes(message.signature()))) {
        return make_error(Errc::auth_failed, "signature does not verify");
    }
    return {};
}

}  // namespace

FixedBytes<kGroupMessageAdBytes> group_message_associated_data(const v1::GroupMessageHeader& header) {
    FixedBytes<kGroupMessageAdBytes> out{};
    FixedWriter w(out);
    w.field(as_bytes(kHeaderLabel), kHeaderLabel.size());
    w.byte(0x00);
    w.byte(static_cast<std::uint8_t>(header.format_version()));
    w.field(as_bytes(header.group_id()), wire::kGroupIdBytes);
    w.u64(header.rn1_generation());
    w.u64(header.rn2_epoch());
    w.field(as_bytes(header.sender_key()), wire::kIdentityKeyBytes);
    w.u64(header.sequence());
    w.field(as_bytes(header.key_confirmation_id()), wire::kKeyConfirmationIdBytes);
    w.field(as_bytes(header.nonce()), wire::kMessageNonceBytes);
    assert(w.written() == out.size());
    return out;
}

FixedBytes<kGroupMessageAdBytes + kCiphertextDigestBytes> group_message_signed_bytes(const v1::GroupMessage& message) {
    FixedBytes<kGroupMessageAdBytes + kCiphertextDigestBytes> out{};
    const auto ad = group_message_associated_data(message.header());
    // The signature must cover a collision-resistant digest: every member holds the AEAD key,
    // and Poly1305 alone would let one forge another ciphertext under the same tag (decision 16).
    const auto digest = crypto::ciphertext_digest(as_bytes(message.ciphertext()));
    std::copy(ad.begin(), ad.end(), out.begin());
    std::copy(digest.begin(), digest.end(), out.begin() + kGroupMessageAdBytes);
    return out;
}

Result<Bytes> protect_message(ByteView group_id, EpochId epoch, const crypto::EpochKeySchedule& keys,
                              const crypto::SigningKey& sender, std::uint64_t sequence, ByteView plaintext) {
    if (group_id.size() != wire::kGroupIdBytes) {
        return make_error(Errc::invalid_argument, "group_id must be 16 bytes, got " + std::to_string(group_id.size()));
    }
    if (plaintext.size() > kMaxMessagePlaintextBytes) {
        return make_error(Errc::too_large, "plaintext of " + std::to_string(plaintext.size()) +
                                               " bytes exceeds the maximum of " +
                                               std::to_string(kMaxMessagePlaintextBytes));
    }
    v1::GroupMessage message;
    v1::GroupMessageHeader& header = *message.mutable_header();
    header.set_format_version(kGroupMessageFormatVersion);
    header.set_group_id(as_string(group_id));
    header.set_rn1_generation(epoch.rn1_generation);
    header.set_rn2_epoch(epoch.rn2_epoch);
    header.set_sender_key(as_string(sender.public_key()));
    header.set_sequence(sequence);
    header.set_key_confirmation_id(as_string(keys.key_confirmation_id()));
    const auto nonce = crypto::random_array<crypto::kAeadNonceBytes>();
    header.set_nonce(as_string(nonce));

    // Encrypt straight into the message's field: no copy of a large ciphertext.
    std::string& ciphertext = *message.mutable_ciphertext();
    ciphertext.resize(plaintext.size() + crypto::kAeadTagBytes);
    thread_local crypto::AeadKey key;  // one secure allocation per thread, not one per message
    keys.message_key_into(sender.public_key(), sequence, key);
    const Status encrypted = crypto::aead_encrypt(key.span(), nonce, plaintext, group_message_associated_data(header),
                                                  as_writable_bytes(ciphertext));
    crypto::wipe(key.mutable_span());
    if (!encrypted) return encrypted.error();
    message.set_signature(as_string(sender.sign(group_message_signed_bytes(message))));

    Bytes out(message.ByteSizeLong());
    if (!message.SerializeToArray(out.data(), static_cast<int>(out.size()))) {
        return make_error(Errc::internal, "group message failed to serialise");
    }
    return out;
}

Result<v1::GroupMessage> parse_group_message(ByteView bytes) {
    if (bytes.size() > kMaxGroupMessageBytes) {
        return make_error(Errc::too_large, "group message of " + std::to_string(bytes.size()) +
                                               " bytes exceeds the maximum of " +
                                               std::to_string(kMaxGroupMessageBytes));
    }
    auto message = wire::parse_message<v1::GroupMessage>(bytes);
    if (!message) return message.error();
    if (auto s = check_shape(*message); !s) return s.error();
    return message;
}

Status verify_message_signature(const v1::GroupMessage& message) {
    if (auto s = check_shape(message); !s) return s;
    return verify_signature_of_checked(message);
}

Status open_message_into(const v1::GroupMessage& message, const crypto::EpochKeySchedule& keys,
                         crypto::SecretBuffer& plaintext) {
    plaintext.resize(0);
    if (auto s = check_shape(message); !s) return s;
    const v1::GroupMessageHeader& header = message.header();

    if (!crypto::equal_constant_time(as_bytes(header.key_confirmation_id()), keys.key_confirmation_id())) {
        return make_error(Errc::auth_failed, "key-confirmation id differs: the sender holds a different group key");
    }
    if (auto s = verify_signature_of_checked(message); !s) return s;

    crypto::SignPublicKey sender{};
    std::copy_n(header.sender_key().begin(), sender.size(), sender.begin());
    thread_local crypto::AeadKey key;
    keys.message_key_into(sender, header.sequence(), key);
    const std::string& ciphertext = message.ciphertext();
    plaintext.resize(ciphertext.size() - crypto::kAeadTagBytes);
    const Status decrypted = crypto::aead_decrypt(key.span(), as_bytes(header.nonce()), as_bytes(ciphertext),
                                                  group_message_associated_data(header), plaintext.mutable_span());
    crypto::wipe(key.mutable_span());
    if (!decrypted) {
        plaintext.resize(0);
        return make_error(Errc::auth_failed, "ciphertext was altered");
    }
    return {};
}

Result<crypto::SecretBuffer> open_message(const v1::GroupMessage& message, const crypto::EpochKeySchedule& keys) {
    crypto::SecretBuffer plaintext;
    if (auto s = open_message_into(message, keys, plaintext); !s) return s.error();
    return plaintext;
}

}  // namespace twofold::member
