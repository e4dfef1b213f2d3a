#include "handshake/noise_hash.h"

#include <sodium.h>

#include <cassert>

#include "crypto/sodium_init.h"

namespace twofold::handshake {

static_assert(crypto_generichash_BYTES_MAX == kNoiseHashBytes);

NoiseHash noise_hash(std::initializer_list<ByteView> parts) noexcept {
    crypto::ensure_sodium_initialised();
    crypto_generichash_state state;
    crypto_generichash_init(&state, nullptr, 0, kNoiseHashBytes);
    for (ByteView part : parts) crypto_generichash_update(&state, part.data(), part.size());
    NoiseHash out;
    crypto_generichash_final(&state, out.data(), out.size());
    return out;
}

void noise_hmac(ByteView key, ByteView data, std::span<std::uint8_t, kNoiseHashBytes> out) noexcept {
    assert(key.size() <= kNoiseHashBlockBytes);
    crypto::ensure_sodium_initialised();
    // Both padded keys are secret when the key is: keep them in secure memory.
    crypto::Secret<kNoiseHashBlockBytes, struct HmacPadTag> inner_pad;
    crypto::Secret<kNoiseHashBlockBytes, struct HmacPadTag> outer_pad;
    auto inner = inner_pad.mutable_span();
    auto outer = outer_pad.mutable_span();
    for (std::size_t i = 0; i < kNoiseHashBlockBytes; ++i) {
        const std::uint8_t k = i < key.size() ? key[i] : 0;
        inner[i] = k ^ 0x36;
        outer[i] = k ^ 0x5c;
    }
    crypto::Secret<kNoiseHashBytes, struct HmacInnerTag> inner_hash;
    crypto_generichash_state state;
    crypto_generichash_init(&state, nullptr, 0, kNoiseHashBytes);
    crypto_generichash_update(&state, inner.data(), inner.size());
    crypto_generichash_update(&state, data.data(), data.size());
    crypto_generichash_final(&state, inner_hash.mutable_span().data(), kNoiseHashBytes);

    crypto_generichash_init(&state, nullptr, 0, kNoiseHashBytes);
    crypto_generichash_update(&state, outer.data(), outer.size());
    crypto_generichash_update(&state, inner_hash.data(), kNoiseHashBytes);
    crypto_generichash_final(&state, out.data(), kNoiseHashBytes);
    sodium_memzero(&state, sizeof state);
}

namespace {

// temp_key = HMAC(ck, ikm); output_i = HMAC(temp_key, output_{i-1} || byte(i)).
void hkdf_outputs(ByteView chaining_key, ByteView input_key_material, std::initializer_list<NoiseHkdfOutput*> outputs) {
    crypto::Secret<kNoiseHashBytes, struct HkdfTempKeyTag> temp_key;
    noise_hmac(chaining_key, input_key_material, temp_key.mutable_span());
    crypto::Secret<kNoiseHashBytes + 1, struct HkdfBlockTag> block;
    std::size_t block_size = 0;  // the previous output (none for the first) then the counter byte
    std::uint8_t counter = 1;
    for (NoiseHkdfOutput* out : outputs) {
        block.mutable_span()[block_size] = counter++;
        noise_hmac(temp_key.span(), ByteView(block.data(), block_size + 1), out->mutable_span());
        std::copy(out->span().begin(), out->span().end(), block.mutable_span().begin());
        block_size = kNoiseHashBytes;
    }
}

}  // namespace

NoiseHkdf2 noise_hkdf2(ByteView chaining_key, ByteView input_key_material) {
    NoiseHkdf2 r;
    hkdf_outputs(chaining_key, input_key_material, {&r.first, &r.second});
    return r;
}

NoiseHkdf3 noise_hkdf3(ByteView chaining_key, ByteView input_key_material) {
    NoiseHkdf3 r;
    hkdf_outputs(chaining_key, input_key_material, {&r.first, &r.second, &r.third});
    return r;
}

}  // namespace twofold::handshake
