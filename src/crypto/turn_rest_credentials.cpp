#include "crypto/turn_rest_credentials.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <array>
#include <stdexcept>

#include "crypto/secret.h"

namespace twofold::crypto {

TurnRestCredentials turn_rest_credentials(ByteView secret, std::string_view user, std::uint64_t expiry_unix) {
    TurnRestCredentials out;
    out.expiry_unix = expiry_unix;
    out.username = std::to_string(expiry_unix) + ":" + std::string(user);
    std::array<unsigned char, 20> mac{};
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(out.username.data()), out.username.size(), mac.data(),
             &mac_len) == nullptr ||
        mac_len != mac.size()) {
        throw std::runtime_error("OpenSSL HMAC-SHA1 failed");  // only if libcrypto itself is broken
    }
    std::array<char, sodium_base64_ENCODED_LEN(20, sodium_base64_VARIANT_ORIGINAL)> text{};
    sodium_bin2base64(text.data(), text.size(), mac.data(), mac.size(), sodium_base64_VARIANT_ORIGINAL);
    out.password = text.data();
    wipe(MutableByteView(mac.data(), mac.size()));
    return out;
}

}  // namespace twofold::crypto
