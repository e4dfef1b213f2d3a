#include "net/pinned_ssl_ctx.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "crypto/hex.h"
#include "crypto/secret.h"
#include "crypto/sha256.h"
#include "net/tls_identity.h"

namespace twofold::net {

namespace {

// The pin lives in the context's ex_data and is freed with it.
int pin_index() {
    static const int index = SSL_CTX_get_ex_new_index(
        0, nullptr, nullptr, nullptr, [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
            delete static_cast<std::string*>(ptr);
        });
    return index;
}

// Only the leaf matters: a self-signed chain has nothing above it worth checking.
int verify_pin(int /*preverified*/, X509_STORE_CTX* store) {
    if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    const auto* expected =
        ssl ? static_cast<const std::string*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), pin_index())) : nullptr;
    X509* cert = X509_STORE_CTX_get_current_cert(store);
    if (expected == nullptr || cert == nullptr) return 0;
    unsigned char* der = nullptr;
    const int len = i2d_X509(cert, &der);
    if (len <= 0) return 0;
    const auto digest = crypto::sha256(ByteView(der, static_cast<std::size_t>(len)));
    OPENSSL_free(der);
    const std::string got = "sha256:" + crypto::to_hex(digest);
    if (!crypto::equal_constant_time(as_bytes(got), as_bytes(*expected))) return 0;
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
}

}  // namespace

void SslCtxFree::operator()(ssl_ctx_st* ctx) const { SSL_CTX_free(ctx); }

Status restrict_to_tls13(ssl_ctx_st* ctx) {
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
        return make_error(Errc::internal, "tls: cannot restrict to TLS 1.3");
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    return {};
}

Result<SslCtxPtr> make_pinned_client_ssl_ctx(const std::string& pinned_fingerprint) {
    auto pin = normalise_fingerprint(pinned_fingerprint, "fingerprint");
    if (!pin) return pin.error();
    SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) return make_error(Errc::internal, "tls: cannot create a client context");
    if (auto s = restrict_to_tls13(ctx.get()); !s) return s.error();
    auto* held = new std::string(std::move(*pin));
    if (SSL_CTX_set_ex_data(ctx.get(), pin_index(), held) != 1) {
        delete held;
        return make_error(Errc::internal, "tls: cannot attach the pinned fingerprint");
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, verify_pin);
    return ctx;
}

}  // namespace twofold::net
