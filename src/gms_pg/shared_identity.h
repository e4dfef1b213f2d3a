// One TLS identity and one signing key for every twofold-gms process on a database (issue 15), so
// a member pins one fingerprint and one statement key whichever process leads. They live in the
// gms_identity row: the certificate in the clear (it is public), the TLS private key and the
// signing seed sealed under storage.key like the group keys (gms/sealed_keys.h), so the
// database's administrator does not hold them. Every process on the database therefore needs
// the same storage.key; one with another key is refused with a message saying so.
#pragma once

#include <filesystem>

#include "core/result.h"
#include "gms/sealed_keys.h"
#include "pg/connection.h"

namespace twofold::gms {

// The first process on the database stores the identity of its data directory (made there if
// missing); every later one writes the stored one into its data directory (tls-cert.pem,
// tls-key.pem, signing.key), replacing its own, so what it serves and prints is the shared one.
Status adopt_shared_identity(pg::Connection& db, KeySealer& sealer, const std::filesystem::path& data_dir);

}  // namespace twofold::gms
