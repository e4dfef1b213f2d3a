#include "crypto/hkdf.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/hmac.h"
#include "crypto/sodium_init.h"

namespace twofold::crypto {

HkdfPrk hkdf_extract(ByteView salt, ByteView ikm) {
    static constexpr FixedBytes<kHmacSha256Bytes> kZeroSalt{};
    HkdfPrk prk;
    hmac_sha256(salt.empty() ? ByteView(kZeroSalt) : salt, ikm, prk.mutable_span());
    return prk;
}

Status hkdf_expand(ByteView prk, ByteView info, MutableByteView out) {
    ensure_sodium_initialised();
    if (out.size() > kHkdfMaxOutputBytes) {
        wipe(out);
        return make_error(Errc::invalid_argument, "hkdf: output length " + std::to_string(out.size()) +
                                                      " exceeds 255*32 bytes");
    }
    if (prk.size() < kHkdfPrkBytes) {
        wipe(out);
        return make_error(Errc::invalid_argument, "hkdf: PRK shorter than 32 bytes");
    }
    // T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i), OKM = first L bytes of T(1) ‖ T(2) ‖ ...
    FixedBytes<kHmacSha256Bytes> t{};
    std::size_t t_len = 0;
    std::size_t done = 0;
    for (std::uint8_t counter = 1; done < out.size(); ++counter) {
        crypto_auth_hmacsha256_state state;
        crypto_auth_hmacsha256_init(&state, prk.data(), prk.size());
        crypto_auth_hmacsha256_update(&state, t.data(), t_len);
        crypto_auth_hmacsha256_update(&state, info.data(), info.size());
        crypto_auth_hmacsha256_update(&state, &counter, 1);
        crypto_auth_hmacsha256_final(&state, t.data());
        sodium_memzero(&state, sizeof state);
        t_len = t.size();
        const std::size_t n = std::min(t.size(), out.size() - done);
        std::copy_n(t.begin(), n, out.begin() + static_cast<std::ptrdiff_t>(done));
        done += n;
    }
    wipe(t);
    return {};
}

Status hkdf(ByteView salt, ByteView ikm, ByteView info, MutableByteView out) {
    const HkdfPrk prk = hkdf_extract(salt, ikm);
    return hkdf_expand(prk.span(), info, out);
}

Bytes labelled_info(std::string_view label, ByteView context) {
    Bytes info(label.begin(), label.end());
    info.push_back(0x00);
    append(info, context);
    return info;
}

}  // namespace twofold::crypto
