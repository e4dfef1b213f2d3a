#include "handshake/noise_cipher_state.h"

#include <sodium.h>

#include "crypto/sodium_init.h"

namespace twofold::handshake {

static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == kNoiseKeyBytes);
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == kNoiseTagBytes);

namespace {

// Noise's ChaChaPoly nonce: 32 bits of zeros, then the counter little-endian.
FixedBytes<crypto_aead_chacha20poly1305_ietf_NPUBBYTES> noise_nonce(std::uint64_t n) noexcept {
    FixedBytes<crypto_aead_chacha20poly1305_ietf_NPUBBYTES> nonce{};
    for (std::size_t i = 0; i < 8; ++i) nonce[4 + i] = static_cast<std::uint8_t>(n >> (8 * i));
    return nonce;
}

}  // namespace

void NoiseCipherState::initialize_key(std::span<const std::uint8_t, kNoiseKeyBytes> key) {
    key_ = NoiseCipherKey::copy_of(key);
    nonce_ = 0;
}

Result<Bytes> NoiseCipherState::encrypt_with_ad(ByteView ad, ByteView plaintext) {
    if (plaintext.size() > kNoiseMaxMessageBytes - kNoiseTagBytes) {
        return make_error(Errc::too_large, "noise: ciphertext would exceed the 65535-byte message limit");
    }
    if (!key_) return Bytes(plaintext.begin(), plaintext.end());
    if (nonce_ == kNoiseMaxNonce) return make_error(Errc::invalid_argument, "noise: cipher nonce exhausted");
    crypto::ensure_sodium_initialised();
    Bytes out(plaintext.size() + kNoiseTagBytes);
    const auto nonce = noise_nonce(nonce_);
    unsigned long long written = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &written, plaintext.data(), plaintext.size(), ad.data(),
                                              ad.size(), nullptr, nonce.data(), key_->data());
    ++nonce_;
    return out;
}

Result<crypto::SecretBuffer> NoiseCipherState::decrypt_with_ad(ByteView ad, ByteView ciphertext) {
    if (ciphertext.size() > kNoiseMaxMessageBytes) {
        return make_error(Errc::too_large, "noise: ciphertext longer than the 65535-byte message limit");
    }
    if (!key_) return crypto::SecretBuffer::copy_of(ciphertext);
    if (nonce_ == kNoiseMaxNonce) return make_error(Errc::invalid_argument, "noise: cipher nonce exhausted");
    if (ciphertext.size() < kNoiseTagBytes) {
        return make_error(Errc::truncated, "noise: ciphertext shorter than its 16-byte tag");
    }
    crypto::ensure_sodium_initialised();
    crypto::SecretBuffer out(ciphertext.size() - kNoiseTagBytes);
    const auto nonce = noise_nonce(nonce_);
    unsigned long long written = 0;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(out.mutable_span().data(), &written, nullptr, ciphertext.data(),
                                                  ciphertext.size(), ad.data(), ad.size(), nonce.data(),
                                                  key_->data()) != 0) {
        return make_error(Errc::auth_failed, "noise: ciphertext tag does not verify (tampered, or wrong key)");
    }
    ++nonce_;
    return out;
}

}  // namespace twofold::handshake
