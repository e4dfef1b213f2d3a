#include "crypto/hex.h"

#include <sodium.h>

#include "crypto/secret.h"
#include "crypto/sodium_init.h"

namespace twofold::crypto {

std::string to_hex(ByteView bytes) {
    ensure_sodium_initialised();
    if (bytes.empty()) return {};
    std::string out(bytes.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
    out.pop_back();  // the terminating NUL
    return out;
}

Status from_hex(std::string_view hex, MutableByteView out, std::string_view what) {
    ensure_sodium_initialised();
    if (hex.size() != out.size() * 2) {
        return make_error(Errc::invalid_argument,
                          std::string(what) + ": expected " + std::to_string(out.size() * 2) +
                              " hex digits, got " + std::to_string(hex.size()) + " characters");
    }
    if (out.empty()) return {};  // libsodium must not see a null buffer
    std::size_t decoded = 0;
    const char* end = nullptr;
    if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &decoded, &end) != 0 ||
        decoded != out.size() || end != hex.data() + hex.size()) {
        wipe(out);
        return make_error(Errc::invalid_argument, std::string(what) + ": not a hexadecimal string");
    }
    return {};
}

Result<Bytes> from_hex(std::string_view hex, std::string_view what) {
    if (hex.size() % 2 != 0) {
        return make_error(Errc::invalid_argument,
                          std::string(what) + ": odd number of hex digits (" + std::to_string(hex.size()) + ")");
    }
    Bytes out(hex.size() / 2);
    if (auto s = from_hex(hex, out, what); !s) return s.error();
    return out;
}

}  // namespace twofold::crypto
