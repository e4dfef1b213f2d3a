#include "gms/sealed_keys.h"

#include "crypto/aead.h"
#include "crypto/random.h"
#include "store/key_file.h"

namespace twofold::gms {

namespace {

constexpr std::string_view kKeysLabel = "twofold/v1 gms group keys";

// Associated data binds a sealed blob to its group and epoch: rows cannot be swapped.
Bytes keys_ad(const GroupId& id, std::uint64_t epoch) {
    Bytes ad(kKeysLabel.begin(), kKeysLabel.end());
    ad.push_back(0);
    append(ad, id);
    for (int shift = 56; shift >= 0; shift -= 8) ad.push_back(static_cast<std::uint8_t>(epoch >> shift));
    return ad;
}

Bytes secret_ad(std::string_view label, ByteView context) {
    Bytes ad(label.begin(), label.end());
    ad.push_back(0);
    append(ad, context);
    return ad;
}

}  // namespace

Result<KeySealer> KeySealer::open(const std::filesystem::path& data_dir) {
    auto key = store::load_or_create_key_file(data_dir / "storage.key", crypto::kAeadKeyBytes);
    if (!key) return key.error();
    return KeySealer(std::move(*key));
}

Bytes KeySealer::seal(const GroupRow& row) {
    row.keys->serialise_into(scratch_);
    const auto nonce = crypto::random_array<crypto::kAeadNonceBytes>();
    Bytes out(nonce.begin(), nonce.end());
    out.resize(nonce.size() + scratch_.size() + crypto::kAeadTagBytes);
    const Status s = crypto::aead_encrypt(storage_key_.span(), nonce, scratch_.span(), keys_ad(row.id, row.rn2_epoch),
                                          MutableByteView(out).subspan(nonce.size()));
    (void)s;  // sizes are fixed above
    return out;
}

Result<GroupKeys> KeySealer::open(const GroupId& id, std::uint64_t rn2_epoch, ByteView sealed) {
    if (sealed.size() < crypto::kAeadNonceBytes + crypto::kAeadTagBytes) {
        return make_error(Errc::malformed, "stored group keys are truncated");
    }
    crypto::SecretBuffer plain(sealed.size() - crypto::kAeadNonceBytes - crypto::kAeadTagBytes);
    if (auto s =
            crypto::aead_decrypt(storage_key_.span(), sealed.first(crypto::kAeadNonceBytes),
                                 sealed.subspan(crypto::kAeadNonceBytes), keys_ad(id, rn2_epoch), plain.mutable_span());
        !s) {
        return make_error(Errc::auth_failed, "stored group keys do not open with storage.key (wrong key file?)");
    }
    return GroupKeys::parse(plain.span());
}

Bytes KeySealer::seal_secret(std::string_view label, ByteView context, ByteView plain) {
    const auto nonce = crypto::random_array<crypto::kAeadNonceBytes>();
    Bytes out(nonce.begin(), nonce.end());
    out.resize(nonce.size() + plain.size() + crypto::kAeadTagBytes);
    const Bytes ad = secret_ad(label, context);
    const Status s = crypto::aead_encrypt(storage_key_.span(), nonce, plain, ad, MutableByteView(out).subspan(nonce.size()));
    (void)s;  // sizes are fixed above
    return out;
}

Result<crypto::SecretBuffer> KeySealer::open_secret(std::string_view label, ByteView context, ByteView sealed) {
    if (sealed.size() < crypto::kAeadNonceBytes + crypto::kAeadTagBytes) {
        return make_error(Errc::malformed, "stored " + std::string(label) + " is truncated");
    }
    crypto::SecretBuffer plain(sealed.size() - crypto::kAeadNonceBytes - crypto::kAeadTagBytes);
    const Bytes ad = secret_ad(label, context);
    if (auto s = crypto::aead_decrypt(storage_key_.span(), sealed.first(crypto::kAeadNonceBytes),
                                      sealed.subspan(crypto::kAeadNonceBytes), ad, plain.mutable_span());
        !s) {
        return make_error(Errc::auth_failed, "stored " + std::string(label) +
                                                 " does not open with storage.key: every GMS on one database needs "
                                                 "the same storage.key (copy the first one's)");
    }
    return plain;
}

void KeySealer::seal_journal(Journal& j) {
    for (GroupRow& g : j.groups) {
        if (g.keys == nullptr) continue;
        g.sealed_keys = seal(g);
        g.keys = nullptr;
    }
}

}  // namespace twofold::gms
