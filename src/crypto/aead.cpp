#include "crypto/aead.h"

#include <sodium.h>

#include <string>

#include "crypto/sodium_init.h"

namespace twofold::crypto {

static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == kAeadKeyBytes);
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == kAeadNonceBytes);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == kAeadTagBytes);
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == kChaChaIetfNonceBytes);
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == kAeadTagBytes);

namespace {

// The two ciphers differ only in nonce length and entry points.
struct Cipher {
    const char* name;
    std::size_t nonce_bytes;
    decltype(&crypto_aead_xchacha20poly1305_ietf_encrypt_detached) encrypt;
    decltype(&crypto_aead_xchacha20poly1305_ietf_decrypt_detached) decrypt;
};

constexpr Cipher kXChaCha{"xchacha20-poly1305", kAeadNonceBytes, crypto_aead_xchacha20poly1305_ietf_encrypt_detached,
                          crypto_aead_xchacha20poly1305_ietf_decrypt_detached};
constexpr Cipher kChaChaIetf{"chacha20-poly1305", kChaChaIetfNonceBytes,
                             crypto_aead_chacha20poly1305_ietf_encrypt_detached,
                             crypto_aead_chacha20poly1305_ietf_decrypt_detached};

Status check_sizes(const Cipher& c, ByteView key, ByteView nonce) {
    if (key.size() != kAeadKeyBytes) {
        return make_error(Errc::invalid_argument, std::string(c.name) + ": key must be 32 bytes, got " +
                                                      std::to_string(key.size()));
    }
    if (nonce.size() != c.nonce_bytes) {
        return make_error(Errc::invalid_argument, std::string(c.name) + ": nonce must be " +
                                                      std::to_string(c.nonce_bytes) + " bytes, got " +
                                                      std::to_string(nonce.size()));
    }
    return {};
}

Status encrypt(const Cipher& c, ByteView key, ByteView nonce, ByteView pt, ByteView ad, MutableByteView out) {
    ensure_sodium_initialised();
    if (auto s = check_sizes(c, key, nonce); !s) return s;
    if (out.size() != pt.size() + kAeadTagBytes) {
        return make_error(Errc::invalid_argument, std::string(c.name) + ": output must be plaintext + 16 bytes");
    }
    c.encrypt(out.data(), out.data() + pt.size(), nullptr, pt.data(), pt.size(), ad.data(), ad.size(), nullptr,
              nonce.data(), key.data());
    return {};
}

Status decrypt(const Cipher& c, ByteView key, ByteView nonce, ByteView ct, ByteView ad, MutableByteView out) {
    ensure_sodium_initialised();
    if (auto s = check_sizes(c, key, nonce); !s) return s;
    if (ct.size() < kAeadTagBytes) {
        return make_error(Errc::truncated, std::string(c.name) + ": ciphertext shorter than its 16-byte tag");
    }
    const std::size_t pt_len = ct.size() - kAeadTagBytes;
    if (out.size() != pt_len) {
        return make_error(Errc::invalid_argument, std::string(c.name) + ": output must be ciphertext - 16 bytes");
    }
    if (c.decrypt(out.data(), nullptr, ct.data(), pt_len, ct.data() + pt_len, ad.data(), ad.size(), nonce.data(),
                  key.data()) != 0) {
        sodium_memzero(out.data(), out.size());
        return make_error(Errc::auth_failed, std::string(c.name) + ": authentication tag does not verify");
    }
    return {};
}

}  // namespace

Status aead_encrypt(ByteView key, ByteView nonce, ByteView plaintext, ByteView ad, MutableByteView out) {
    return encrypt(kXChaCha, key, nonce, plaintext, ad, out);
}

Status aead_decrypt(ByteView key, ByteView nonce, ByteView ciphertext, ByteView ad, MutableByteView out) {
    return decrypt(kXChaCha, key, nonce, ciphertext, ad, out);
}

Result<Bytes> aead_seal(ByteView key, ByteView nonce, ByteView plaintext, ByteView ad) {
    Bytes out(plaintext.size() + kAeadTagBytes);
    if (auto s = aead_encrypt(key, nonce, plaintext, ad, out); !s) return s.error();
    return out;
}

Result<Bytes> aead_open(ByteView key, ByteView nonce, ByteView ciphertext, ByteView ad) {
    if (ciphertext.size() < kAeadTagBytes) {
        return make_error(Errc::truncated, "xchacha20-poly1305: ciphertext shorter than its 16-byte tag");
    }
    Bytes out(ciphertext.size() - kAeadTagBytes);
    if (auto s = aead_decrypt(key, nonce, ciphertext, ad, out); !s) return s.error();
    return out;
}

Status chacha20poly1305_ietf_encrypt(ByteView key, ByteView nonce, ByteView plaintext, ByteView ad,
                                     MutableByteView out) {
    return encrypt(kChaChaIetf, key, nonce, plaintext, ad, out);
}

Status chacha20poly1305_ietf_decrypt(ByteView key, ByteView nonce, ByteView ciphertext, ByteView ad,
                                     MutableByteView out) {
    return decrypt(kChaChaIetf, key, nonce, ciphertext, ad, out);
}

}  // namespace twofold::crypto
