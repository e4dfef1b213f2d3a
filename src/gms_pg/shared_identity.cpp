#include "gms_pg/shared_identity.h"

#include <fstream>
#include <optional>
#include <sstream>

#include "crypto/sign.h"
#include "net/tls_identity.h"
#include "store/key_file.h"

namespace twofold::gms {

namespace {

// The certificate is in the associated data: a sealed key cannot be paired with another
// certificate than the one it was stored with.
constexpr std::string_view kLabel = "twofold/v1 gms shared identity";

Result<std::string> read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(Errc::unavailable, "cannot read " + path.string());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Sealed: the 32-byte signing seed, then the TLS private key's PEM.
Result<Bytes> seal_local(KeySealer& sealer, const std::filesystem::path& dir, const std::string& certificate) {
    auto seed = store::load_or_create_key_file(dir / "signing.key", crypto::kSignSeedBytes);
    if (!seed) return seed.error();
    auto key = read_text(dir / "tls-key.pem");
    if (!key) return key.error();
    crypto::SecretBuffer plain(seed->span().size() + key->size());
    std::copy(seed->span().begin(), seed->span().end(), plain.mutable_span().begin());
    std::copy(key->begin(), key->end(), plain.mutable_span().begin() + static_cast<std::ptrdiff_t>(seed->span().size()));
    crypto::wipe(as_writable_bytes(*key));
    return sealer.seal_secret(kLabel, as_bytes(certificate), plain.span());
}

Status write_shared(KeySealer& sealer, const std::filesystem::path& dir, const std::string& certificate,
                    ByteView sealed) {
    auto plain = sealer.open_secret(kLabel, as_bytes(certificate), sealed);
    if (!plain) return make_error(plain.error().code, "the database's GMS identity: " + plain.error().message);
    if (plain->span().size() <= crypto::kSignSeedBytes) return make_error(Errc::malformed, "the database's GMS identity is truncated");
    const ByteView seed = plain->span().first(crypto::kSignSeedBytes);
    const ByteView key = plain->span().subspan(crypto::kSignSeedBytes);
    // The key first: a crash between the files leaves a pair that does not match, refused at the
    // next start by the TLS layer, and rewritten here then.
    if (auto s = store::write_key_file(dir / "tls-key.pem", key); !s) return s;
    if (auto s = store::write_key_file(dir / "tls-cert.pem", as_bytes(certificate)); !s) return s;
    return store::write_key_file(dir / "signing.key", seed);
}

}  // namespace

Status adopt_shared_identity(pg::Connection& db, KeySealer& sealer, const std::filesystem::path& data_dir) {
    auto local = net::load_or_create_tls_identity(data_dir, "twofold-gms");
    if (!local) return local.error();
    auto certificate = read_text(local->certificate_path);
    if (!certificate) return certificate.error();
    auto sealed = seal_local(sealer, data_dir, *certificate);
    if (!sealed) return sealed.error();

    std::optional<std::pair<std::string, Bytes>> stored;
    const Status s = db.transaction([&](pg::Connection& tx) -> Status {
        auto put = tx.query(
            "INSERT INTO gms_identity(id, tls_certificate, sealed_secrets) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
            pg::Params().text(*certificate).bytea(*sealed));
        if (!put) return put.error();
        auto rows = tx.query("SELECT tls_certificate, sealed_secrets FROM gms_identity WHERE id = 1");
        if (!rows) return rows.error();
        if (auto e = rows->expect({pg::Type::text, pg::Type::bytea}); !e) return e;
        if (rows->empty()) return make_error(Errc::internal, "gms_identity row missing after insert");
        stored.emplace(rows->text(0, 0), rows->bytes(0, 1));
        return {};
    });
    if (!s) return s;
    if (stored->first == *certificate) {
        // Ours (stored just now, or at an earlier start): the key must still open, or this
        // process's storage.key is not the cluster's.
        auto check = sealer.open_secret(kLabel, as_bytes(stored->first), stored->second);
        if (!check) return make_error(check.error().code, "the database's GMS identity: " + check.error().message);
        return {};
    }
    return write_shared(sealer, data_dir, stored->first, stored->second);
}

}  // namespace twofold::gms
