// The one client-side TLS policy as a bare OpenSSL SSL_CTX: TLS 1.3 only, the server accepted by
// its pinned certificate fingerprint ("sha256:HEX") and nothing else (the servers' certificates
// are self-signed, so the pin is the whole trust decision). The relay's Asio client wraps it
// (tls_context.cpp); libmosquitto takes it through MOSQ_OPT_SSL_CTX (mqtt_client/session.cpp).
#pragma once

#include <memory>
#include <string>

#include "core/result.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX: only net/ includes OpenSSL's headers

namespace twofold::net {

struct SslCtxFree {
    void operator()(ssl_ctx_st* ctx) const;
};
using SslCtxPtr = std::unique_ptr<ssl_ctx_st, SslCtxFree>;

// invalid_argument for a fingerprint that is not one (normalise_fingerprint's error).
Result<SslCtxPtr> make_pinned_client_ssl_ctx(const std::string& pinned_fingerprint);

// The options both sides share: TLS 1.3 only, no tickets, no renegotiation.
Status restrict_to_tls13(ssl_ctx_st* ctx);

}  // namespace twofold::net
