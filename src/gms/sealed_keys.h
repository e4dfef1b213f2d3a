// A group's LKH tree and RN2 (GroupKeys) as the stores keep them: serialised, then encrypted with
// XChaCha20-Poly1305 under the GMS's storage key (storage.key in the data directory, never in the
// database), bound to the group id and RN2 epoch by the associated data so rows cannot be
// swapped. A copy of the database (a backup, a dump, its administrator) does not carry the keys.
#pragma once

#include <filesystem>

#include "crypto/secret.h"
#include "gms/journal.h"

namespace twofold::gms {

class KeySealer {
  public:
    // The data directory's storage.key, created on first use.
    static Result<KeySealer> open(const std::filesystem::path& data_dir);
    explicit KeySealer(crypto::SecretBuffer storage_key) : storage_key_(std::move(storage_key)) {}

    Bytes seal(const GroupRow& row);  // row.keys must be set
    Result<GroupKeys> open(const GroupId& id, std::uint64_t rn2_epoch, ByteView sealed);
    // Seals every group row whose keys pointer is set and clears the pointer (Store::seal).
    void seal_journal(Journal& journal);
    // The row's sealed bytes: sealed now if its pointer is still set, as sealed before otherwise.
    Bytes sealed(const GroupRow& row) { return row.keys != nullptr ? seal(row) : row.sealed_keys; }

    // Any other secret the GMS keeps in its database (the shared TLS key and signing seed of a
    // cluster, gms_pg/shared_identity.h), bound to `label` and `context` by the associated data.
    // `label` names it in errors.
    Bytes seal_secret(std::string_view label, ByteView context, ByteView plain);
    Result<crypto::SecretBuffer> open_secret(std::string_view label, ByteView context, ByteView sealed);

  private:
    crypto::SecretBuffer storage_key_;
    crypto::SecretBuffer scratch_;  // serialised keys on their way to encryption, reused
};

}  // namespace twofold::gms
