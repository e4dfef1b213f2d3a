#include "net/tls_context.h"

#include <openssl/ssl.h>

#include "net/pinned_ssl_ctx.h"

namespace twofold::net {

Result<asio::ssl::context> make_server_context(const TlsIdentity& identity) {
    asio::ssl::context ctx(asio::ssl::context::tls_server);
    if (auto s = restrict_to_tls13(ctx.native_handle()); !s) return s.error();
    asio::error_code ec;
    ctx.use_certificate_chain_file(identity.certificate_path.string(), ec);
    if (ec) return make_error(Errc::malformed, "tls: cannot load " + identity.certificate_path.string());
    ctx.use_private_key_file(identity.private_key_path.string(), asio::ssl::context::pem, ec);
    if (ec) return make_error(Errc::malformed, "tls: cannot load " + identity.private_key_path.string());
    return ctx;
}

Result<asio::ssl::context> make_client_context(const std::string& pinned_fingerprint) {
    auto ctx = make_pinned_client_ssl_ctx(pinned_fingerprint);
    if (!ctx) return ctx.error();
    return asio::ssl::context(ctx->release());  // Asio takes ownership
}

}  // namespace twofold::net
