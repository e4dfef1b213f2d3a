// A server's TLS identity: a self-signed Ed25519 certificate and key, made on first start and
// pinned by clients through the SHA-256 fingerprint of the certificate's DER encoding (the value
// `openssl x509 -noout -fingerprint -sha256` prints).
#pragma once

#include <filesystem>
#include <string>

#include "core/result.h"

namespace twofold::net {

struct TlsIdentity {
    std::filesystem::path certificate_path;  // PEM
    std::filesystem::path private_key_path;  // PEM, mode 0600
    std::string fingerprint;                 // "sha256:" + 64 lowercase hex digits
};

// Loads DIR/tls-cert.pem and DIR/tls-key.pem, creating both if neither exists.
Result<TlsIdentity> load_or_create_tls_identity(const std::filesystem::path& dir, const std::string& common_name);

Result<std::string> certificate_fingerprint(const std::filesystem::path& certificate_pem);

// Accepts "sha256:HEX" or bare HEX (either case, colons allowed); returns the canonical form.
Result<std::string> normalise_fingerprint(std::string_view text, std::string_view what);

}  // namespace twofold::net
