#include "handshake/noise_symmetric_state.h"

#include <cassert>

namespace twofold::handshake {

namespace {

// HASHLEN is 64, so the cipher key is the first 32 bytes of an HKDF output (section 5.2).
std::span<const std::uint8_t, kNoiseKeyBytes> truncated_key(const NoiseHkdfOutput& out) noexcept {
    return out.span().first<kNoiseKeyBytes>();
}

}  // namespace

NoiseSymmetricState::NoiseSymmetricState(std::string_view protocol_name) {
    if (protocol_name.size() <= kNoiseHashBytes) {
        std::copy(protocol_name.begin(), protocol_name.end(), h_.begin());
    } else {
        h_ = noise_hash({as_bytes(protocol_name)});
    }
    std::copy(h_.begin(), h_.end(), ck_.mutable_span().begin());
}

void NoiseSymmetricState::mix_key(ByteView input_key_material) {
    auto out = noise_hkdf2(ck_.span(), input_key_material);
    ck_ = NoiseChainingKey::copy_of(out.first.span());
    cipher_.initialize_key(truncated_key(out.second));
}

void NoiseSymmetricState::mix_hash(ByteView data) { h_ = noise_hash({h_, data}); }

void NoiseSymmetricState::mix_key_and_hash(ByteView input_key_material) {
    auto out = noise_hkdf3(ck_.span(), input_key_material);
    ck_ = NoiseChainingKey::copy_of(out.first.span());
    mix_hash(out.second.span());
    cipher_.initialize_key(truncated_key(out.third));
}

Result<Bytes> NoiseSymmetricState::encrypt_and_hash(ByteView plaintext) {
    auto ciphertext = cipher_.encrypt_with_ad(h_, plaintext);
    if (!ciphertext) return ciphertext.error();
    mix_hash(*ciphertext);
    return ciphertext;
}

Result<crypto::SecretBuffer> NoiseSymmetricState::decrypt_and_hash(ByteView ciphertext) {
    auto plaintext = cipher_.decrypt_with_ad(h_, ciphertext);
    if (!plaintext) return plaintext.error();
    mix_hash(ciphertext);
    return plaintext;
}

NoiseCipherPair NoiseSymmetricState::split() {
    auto out = noise_hkdf2(ck_.span(), {});
    NoiseCipherPair pair;
    pair.first.initialize_key(truncated_key(out.first));
    pair.second.initialize_key(truncated_key(out.second));
    return pair;
}

}  // namespace twofold::handshake
