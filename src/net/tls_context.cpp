#include "net/tls_context.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "crypto/hex.h"
#include "crypto/secret.h"
#include "crypto/sha256.h"

namespace twofold::net {

namespace {

Status restrict_to_tls13(asio::ssl::context& ctx) {
    if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_3_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_3_VERSION) != 1) {
        return make_error(Errc::internal, "tls: cannot restrict to TLS 1.3");
    }
    SSL_CTX_set_options(ctx.native_handle(), SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    return {};
}

}  // namespace

Result<asio::ssl::context> make_server_context(const TlsIdentity& identity) {
    asio::ssl::context ctx(asio::ssl::context::tls_server);
    if (auto s = restrict_to_tls13(ctx); !s) return s.error();
    asio::error_code ec;
    ctx.use_certificate_chain_file(identity.certificate_path.string(), ec);
    if (ec) return make_error(Errc::malformed, "tls: cannot load " + identity.certificate_path.string());
    ctx.use_private_key_file(identity.private_key_path.string(), asio::ssl::context::pem, ec);
    if (ec) return make_error(Errc::malformed, "tls: cannot load " + identity.private_key_path.string());
    return ctx;
}

Result<asio::ssl::context> make_client_context(const std::string& pinned_fingerprint) {
    auto pin = normalise_fingerprint(pinned_fingerprint, "fingerprint");
    if (!pin) return pin.error();
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    if (auto s = restrict_to_tls13(ctx); !s) return s.error();
    ctx.set_verify_mode(asio::ssl::verify_peer);
    ctx.set_verify_callback([expected = *pin](bool /*preverified*/, asio::ssl::verify_context& vc) {
        // Only the leaf matters: a self-signed chain has nothing above it worth checking.
        X509_STORE_CTX* store = vc.native_handle();
        if (X509_STORE_CTX_get_error_depth(store) != 0) return true;
        X509* cert = X509_STORE_CTX_get_current_cert(store);
        unsigned char* der = nullptr;
        const int len = i2d_X509(cert, &der);
        if (len <= 0) return false;
        const auto digest = crypto::sha256(ByteView(der, static_cast<std::size_t>(len)));
        OPENSSL_free(der);
        const std::string got = "sha256:" + crypto::to_hex(digest);
        return crypto::equal_constant_time(as_bytes(got), as_bytes(expected));
    });
    return ctx;
}

}  // namespace twofold::net
