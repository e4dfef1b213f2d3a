// The member's local store: one SQLite file (WAL, full sync) in the member's home directory in
// which every value is sealed with XChaCha20-Poly1305 under a key derived with Argon2id from the
// user's passphrase. Record names (a kind and a name: "group" / a group id in hex) stay readable,
// values never do. Each value's associated data is "twofold/v1 vault" ‖ 0 ‖ kind ‖ 0 ‖ name, so a
// value moved to another record does not open.
//
// A wrong passphrase is auth_failed "wrong passphrase", found by a check record written at
// creation, never garbage. The passphrase is not kept (only the derived key, in secure memory);
// wiping the caller's copy is the caller's job. One thread at a time. docs/member-store.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/password.h"
#include "crypto/secret.h"
#include "store/database.h"

namespace twofold::member_store {

class Vault {
  public:
    // Creates the file (error if it exists; mode 0600; a missing parent directory is made 0700)
    // with a fresh salt and the given Argon2id limits, which are recorded in the file so open()
    // uses the same ones. Limits below PwhashLimits::minimum() and an empty passphrase are refused.
    static Result<Vault> create(const std::filesystem::path& file, ByteView passphrase, crypto::PwhashLimits limits);
    // unknown "no store at PATH" when missing; malformed, naming the path, for a file that is not
    // a vault or has a format this program does not read; auth_failed "wrong passphrase".
    static Result<Vault> open(const std::filesystem::path& file, ByteView passphrase);

    Vault(Vault&&) noexcept;
    Vault& operator=(Vault&&) noexcept;
    ~Vault();

    // Kind and name are 1-255 bytes without NUL (invalid_argument otherwise). Outside
    // begin()/commit(), each put() and erase() is durable when it returns.
    Status put(std::string_view kind, std::string_view name, ByteView value);
    // nullopt when there is no such record; auth_failed when it does not open.
    Result<std::optional<crypto::SecretBuffer>> get(std::string_view kind, std::string_view name);
    // Every name of a kind, sorted.
    Result<std::vector<std::string>> names(std::string_view kind);
    Status erase(std::string_view kind, std::string_view name);  // no such record is not an error

    // Several puts as one durable step (one fsync); a crash keeps all of them or none.
    Status begin();
    Status commit();
    Status rollback();

  private:
    Vault(store::Database db, crypto::StoreKey key);
    store::Database db_;
    crypto::StoreKey key_;
};

}  // namespace twofold::member_store
