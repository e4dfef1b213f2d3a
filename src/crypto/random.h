// Randomness: libsodium's randombytes_buf (getrandom(2) on Linux) and nothing else.
#pragma once

#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace twofold::crypto {

void random_fill(MutableByteView out) noexcept;

template <std::size_t N>
FixedBytes<N> random_array() noexcept {
    FixedBytes<N> out;
    random_fill(out);
    return out;
}

template <class SecretType>
SecretType random_secret() {
    SecretType s;
    random_fill(s.mutable_span());
    return s;
}

}  // namespace twofold::crypto
