// OpenSSL contexts with the project's one TLS policy: TLS 1.3 only. Internal to net/.
#pragma once

#include <asio/ssl.hpp>

#include <string>

#include "core/result.h"
#include "net/tls_identity.h"

namespace twofold::net {

Result<asio::ssl::context> make_server_context(const TlsIdentity& identity);

// Verifies the server only by its pinned certificate fingerprint ("sha256:HEX"): the servers use
// self-signed certificates, so the pin is the whole of the trust decision.
Result<asio::ssl::context> make_client_context(const std::string& pinned_fingerprint);

}  // namespace twofold::net
