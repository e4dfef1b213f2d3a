// A secret kept in a file of its own (a server's signing seed, its storage key): created once
// with mode 0600 and fsync'd, read into secure memory.
#pragma once

#include <filesystem>

#include "core/result.h"
#include "crypto/secret.h"

namespace twofold::store {

// Reads exactly `size` bytes from `path`, creating the file with random bytes if it is missing.
// A file of another size is an error (a truncated key must never be used or overwritten).
Result<crypto::SecretBuffer> load_or_create_key_file(const std::filesystem::path& path, std::size_t size);

// Replaces `path` with exactly `bytes` (mode 0600, fsync'd, renamed into place): a GMS adopting
// the TLS key and signing seed its cluster shares (gms_pg/shared_identity.h).
Status write_key_file(const std::filesystem::path& path, ByteView bytes);

}  // namespace twofold::store
