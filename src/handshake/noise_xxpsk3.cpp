#include "handshake/noise_xxpsk3.h"

#include <sodium.h>

#include <string>

#include "crypto/random.h"
#include "crypto/sodium_init.h"

namespace twofold::handshake {

namespace {

constexpr std::size_t kEncryptedStaticBytes = kNoiseDhBytes + kNoiseTagBytes;

std::string message_name(int index) { return "noise handshake message " + std::to_string(index + 1); }

Error in_message(int index, const Error& e) { return make_error(e.code, message_name(index) + ": " + e.message); }

}  // namespace

NoiseKeyPair NoiseKeyPair::from_secret(std::span<const std::uint8_t, kNoiseDhBytes> secret) {
    crypto::ensure_sodium_initialised();
    NoiseKeyPair k;
    k.secret = crypto::X25519Secret::copy_of(secret);
    crypto_scalarmult_curve25519_base(k.public_key.data(), k.secret.data());
    return k;
}

NoiseKeyPair NoiseKeyPair::from(const crypto::X25519KeyPair& keys) { return from_secret(keys.secret().span()); }

NoiseKeyPair NoiseKeyPair::generate() {
    auto secret = crypto::random_secret<crypto::X25519Secret>();
    return from_secret(secret.span());
}

NoiseXXpsk3Handshake::NoiseXXpsk3Handshake(NoiseRole role, NoiseKeyPair static_keys, NoisePsk psk, ByteView prologue,
                                           std::optional<NoiseKeyPair> fixed_ephemeral)
    : role_(role),
      symmetric_(kNoiseXXpsk3ProtocolName),
      s_(std::move(static_keys)),
      fixed_ephemeral_(std::move(fixed_ephemeral)),
      psk_(std::move(psk)) {
    symmetric_.mix_hash(prologue);
}

bool NoiseXXpsk3Handshake::my_turn() const noexcept {
    // The initiator writes messages 0 and 2, the responder message 1.
    return (next_message_ % 2 == 0) == (role_ == NoiseRole::initiator);
}

Status NoiseXXpsk3Handshake::write_ephemeral(Bytes& out) {
    e_ = fixed_ephemeral_ ? std::move(*fixed_ephemeral_) : NoiseKeyPair::generate();
    fixed_ephemeral_.reset();
    append(out, e_->public_key);
    symmetric_.mix_hash(e_->public_key);
    symmetric_.mix_key(e_->public_key);  // the psk modifier: "e" also calls MixKey (section 9.2)
    return {};
}

Status NoiseXXpsk3Handshake::read_ephemeral(ByteView& in) {
    if (in.size() < kNoiseDhBytes) return make_error(Errc::truncated, "ends before the 32-byte ephemeral key");
    std::copy_n(in.begin(), kNoiseDhBytes, re_.begin());
    in = in.subspan(kNoiseDhBytes);
    symmetric_.mix_hash(re_);
    symmetric_.mix_key(re_);
    return {};
}

Status NoiseXXpsk3Handshake::mix_dh(const crypto::X25519Secret& mine, const crypto::X25519PublicKey& theirs,
                                    const char* token) {
    auto shared = crypto::x25519(mine.span(), theirs);
    if (!shared) return make_error(shared.error().code, std::string(token) + ": " + shared.error().message);
    symmetric_.mix_key(shared->span());
    return {};
}

Result<Bytes> NoiseXXpsk3Handshake::write_message(ByteView payload) {
    const int index = next_message_;
    if (failed_) return make_error(Errc::invalid_argument, "noise handshake already failed");
    if (complete()) return make_error(Errc::invalid_argument, "noise handshake already complete");
    if (!my_turn()) return make_error(Errc::invalid_argument, message_name(index) + " is the peer's to send");

    Bytes out;
    Status step;
    switch (index) {
        case 0:  // -> e
            step = write_ephemeral(out);
            break;
        case 1:  // <- e, ee, s, es
            step = write_ephemeral(out);
            if (step) step = mix_dh(e_->secret, re_, "ee");
            if (step) {
                auto s = symmetric_.encrypt_and_hash(s_.public_key);
                if (s)
                    append(out, *s);
                else
                    step = s.error();
            }
            if (step) step = mix_dh(s_.secret, re_, "es");
            break;
        default: {  // -> s, se, psk
            auto s = symmetric_.encrypt_and_hash(s_.public_key);
            if (s)
                append(out, *s);
            else
                step = s.error();
            if (step) step = mix_dh(s_.secret, re_, "se");
            if (step) symmetric_.mix_key_and_hash(psk_.span());
            break;
        }
    }
    if (step) {
        const std::size_t limit = kNoiseMaxMessageBytes - out.size() - kNoiseTagBytes;
        if (out.size() + kNoiseTagBytes > kNoiseMaxMessageBytes || payload.size() > limit) {
            step = make_error(Errc::too_large, "payload does not fit the 65535-byte Noise message limit");
        }
    }
    if (step) {
        auto body = symmetric_.encrypt_and_hash(payload);
        if (body)
            append(out, *body);
        else
            step = body.error();
    }
    if (!step) {
        failed_ = true;
        return in_message(index, step.error());
    }
    ++next_message_;
    return out;
}

Result<crypto::SecretBuffer> NoiseXXpsk3Handshake::read_message(ByteView message) {
    const int index = next_message_;
    if (failed_) return make_error(Errc::invalid_argument, "noise handshake already failed");
    if (complete()) return make_error(Errc::invalid_argument, "noise handshake already complete");
    if (my_turn()) return make_error(Errc::invalid_argument, message_name(index) + " is ours to send, not to read");
    if (message.size() > kNoiseMaxMessageBytes) {
        failed_ = true;
        return in_message(index, make_error(Errc::too_large, "longer than the 65535-byte Noise message limit"));
    }

    ByteView in = message;
    Status step;
    auto read_static = [&]() -> Status {
        if (in.size() < kEncryptedStaticBytes) {
            return make_error(Errc::truncated, "ends before the 48-byte encrypted static key");
        }
        auto rs = symmetric_.decrypt_and_hash(in.first(kEncryptedStaticBytes));
        if (!rs) return make_error(rs.error().code, "static key: " + rs.error().message);
        std::copy(rs->span().begin(), rs->span().end(), rs_.begin());
        in = in.subspan(kEncryptedStaticBytes);
        return {};
    };
    switch (index) {
        case 0:  // -> e
            step = read_ephemeral(in);
            break;
        case 1:  // <- e, ee, s, es
            step = read_ephemeral(in);
            if (step) step = mix_dh(e_->secret, re_, "ee");
            if (step) step = read_static();
            if (step) step = mix_dh(e_->secret, rs_, "es");
            break;
        default:  // -> s, se, psk
            step = read_static();
            if (step) step = mix_dh(e_->secret, rs_, "se");
            if (step) symmetric_.mix_key_and_hash(psk_.span());
            break;
    }
    Result<crypto::SecretBuffer> payload = crypto::SecretBuffer{};
    if (step) {
        if (in.size() < kNoiseTagBytes) {
            step = make_error(Errc::truncated, "ends before the payload's 16-byte tag");
        } else {
            payload = symmetric_.decrypt_and_hash(in);
            if (!payload) {
                // In the last message the tag is the first check keyed by the PSK: say so.
                const bool psk_mixed = index == 2;
                step = make_error(payload.error().code,
                                  std::string("payload: ") + payload.error().message +
                                      (psk_mixed ? " (the PSK is mixed in this message: a wrong PSK fails here)" : ""));
            }
        }
    }
    if (!step) {
        failed_ = true;
        return in_message(index, step.error());
    }
    ++next_message_;
    return std::move(payload).value();
}

Result<NoiseTransport> NoiseXXpsk3Handshake::finish() {
    if (failed_ || !complete()) return make_error(Errc::invalid_argument, "noise handshake is not complete");
    auto ciphers = symmetric_.split();
    NoiseTransport t;
    t.handshake_hash = symmetric_.handshake_hash();
    t.remote_static = rs_;
    if (role_ == NoiseRole::initiator) {
        t.send = std::move(ciphers.first);
        t.receive = std::move(ciphers.second);
    } else {
        t.send = std::move(ciphers.second);
        t.receive = std::move(ciphers.first);
    }
    failed_ = true;  // spent: the split keys exist once
    return t;
}

}  // namespace twofold::handshake
