#include "crypto/digest.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace twofold::crypto {

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "twofold: OpenSSL SHA-256 failed: %s\n", what);
    std::abort();
}

// Fetched once: the implicit lookup inside EVP_sha256() + EVP_DigestInit would repeat the
// provider search on every message.
const EVP_MD* sha256_md() {
    static const EVP_MD* const md = [] {
        const EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        if (m == nullptr) fail("no SHA256 in the default provider");
        return m;
    }();
    return md;
}

struct ContextFree {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

// One context per thread, reset per digest: EVP_Digest allocates and frees one per call, a
// measurable share of a 1 KiB message's cost.
EVP_MD_CTX* thread_context() {
    thread_local const std::unique_ptr<EVP_MD_CTX, ContextFree> ctx(EVP_MD_CTX_new());
    if (!ctx) fail("out of memory for a digest context");
    return ctx.get();
}

}  // namespace

CiphertextDigest ciphertext_digest(ByteView ciphertext) noexcept {
    static_assert(kCiphertextDigestBytes == 32, "SHA-256 output");
    EVP_MD_CTX* ctx = thread_context();
    CiphertextDigest out{};
    unsigned int written = 0;
    if (EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx, ciphertext.data(), ciphertext.size()) != 1 ||
        EVP_DigestFinal_ex(ctx, out.data(), &written) != 1 || written != out.size()) {
        fail("digest operation");
    }
    return out;
}

}  // namespace twofold::crypto
