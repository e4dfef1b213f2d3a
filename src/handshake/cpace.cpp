#include "handshake/cpace.h"

#include <sodium.h>

#include <string>

#include "crypto/random.h"
#include "crypto/sodium_init.h"
#include "handshake/cpace_strings.h"

namespace twofold::handshake {

static_assert(crypto_core_ristretto255_BYTES == kCpacePointBytes);
static_assert(crypto_core_ristretto255_HASHBYTES == crypto_hash_sha512_BYTES);
static_assert(crypto_scalarmult_ristretto255_SCALARBYTES == kCpaceScalarBytes);
static_assert(crypto_hash_sha512_BYTES == kCpaceIskBytes);

CpaceGenerator cpace_calculate_generator(ByteView prs, ByteView ci, ByteView sid) {
    crypto::ensure_sodium_initialised();
    const auto gen_str = cpace_generator_string(as_bytes(kCpaceRistretto255Dsi), prs, ci, sid);
    crypto::Secret<crypto_hash_sha512_BYTES, struct CpaceGeneratorHashTag> hash;
    crypto_hash_sha512(hash.mutable_span().data(), gen_str.span().data(), gen_str.size());
    CpaceGenerator g;
    crypto_core_ristretto255_from_hash(g.mutable_span().data(), hash.data());
    return g;
}

CpaceScalar cpace_sample_scalar() {
    auto y = crypto::random_secret<CpaceScalar>();
    y.mutable_span()[kCpaceScalarBytes - 1] &= 0xff >> (8 * kCpaceScalarBytes - kCpaceScalarBits);
    return y;
}

Result<CpacePoint> cpace_scalar_mult(const CpaceScalar& y, const CpaceGenerator& g) {
    crypto::ensure_sodium_initialised();
    CpacePoint out;
    if (crypto_scalarmult_ristretto255(out.data(), y.data(), g.data()) != 0) {
        return make_error(Errc::invalid_argument, "cpace: scalar gives the identity element (zero scalar)");
    }
    return out;
}

Result<CpaceSharedPoint> cpace_scalar_mult_vfy(const CpaceScalar& y, ByteView received) {
    crypto::ensure_sodium_initialised();
    if (received.size() != kCpacePointBytes) {
        return make_error(received.size() < kCpacePointBytes ? Errc::truncated : Errc::too_large,
                          "cpace: peer point must be 32 bytes, got " + std::to_string(received.size()));
    }
    if (crypto_core_ristretto255_is_valid_point(received.data()) != 1) {
        return make_error(Errc::malformed, "cpace: peer point is not a valid ristretto255 encoding");
    }
    CpaceSharedPoint k;
    // The group has prime order, so K is the identity exactly when the peer sent the identity.
    if (crypto_scalarmult_ristretto255(k.mutable_span().data(), y.data(), received.data()) != 0) {
        return make_error(Errc::auth_failed, "cpace: peer point is the identity element");
    }
    return k;
}

Bytes cpace_transcript(CpaceTranscript mode, ByteView ya, ByteView ada, ByteView yb, ByteView adb) {
    Bytes a = cpace_lv_cat({ya, ada});
    Bytes b = cpace_lv_cat({yb, adb});
    if (mode == CpaceTranscript::ordered) return cpace_o_cat(a, b);
    append(a, b);
    return a;
}

CpaceIsk cpace_isk(ByteView sid, const CpaceSharedPoint& k, ByteView transcript) {
    crypto::ensure_sodium_initialised();
    std::string dsi(kCpaceRistretto255Dsi);
    dsi += kCpaceIskDsiSuffix;
    // lv_cat(DSI_ISK, sid, K) holds K: build it in secure memory.
    Bytes head = cpace_lv_cat({as_bytes(dsi), sid});
    crypto::SecretBuffer prefix(head.size() + 1 + kCpacePointBytes);
    auto p = prefix.mutable_span();
    std::copy(head.begin(), head.end(), p.begin());
    p[head.size()] = kCpacePointBytes;  // prepend_len(K): one LEB128 byte
    std::copy(k.span().begin(), k.span().end(), p.begin() + static_cast<std::ptrdiff_t>(head.size() + 1));

    crypto_hash_sha512_state state;
    crypto_hash_sha512_init(&state);
    crypto_hash_sha512_update(&state, prefix.span().data(), prefix.size());
    crypto_hash_sha512_update(&state, transcript.data(), transcript.size());
    CpaceIsk isk;
    crypto_hash_sha512_final(&state, isk.mutable_span().data());
    sodium_memzero(&state, sizeof state);
    return isk;
}

FixedBytes<kCpaceIskBytes> cpace_sid_output(ByteView transcript) {
    crypto::ensure_sodium_initialised();
    crypto_hash_sha512_state state;
    crypto_hash_sha512_init(&state);
    crypto_hash_sha512_update(&state, as_bytes(kCpaceSidOutputLabel).data(), kCpaceSidOutputLabel.size());
    crypto_hash_sha512_update(&state, transcript.data(), transcript.size());
    FixedBytes<kCpaceIskBytes> out;
    crypto_hash_sha512_final(&state, out.data());
    return out;
}

CpaceParty::CpaceParty(Role role, ByteView prs, ByteView ci, ByteView sid, ByteView own_ad, CpaceTranscript mode,
                       std::optional<CpaceScalar> fixed_scalar)
    : role_(role),
      mode_(mode),
      sid_(sid.begin(), sid.end()),
      own_ad_(own_ad.begin(), own_ad.end()),
      g_(cpace_calculate_generator(prs, ci, sid)),
      y_(fixed_scalar ? std::move(*fixed_scalar) : cpace_sample_scalar()) {}

Result<CpacePoint> CpaceParty::message() const { return cpace_scalar_mult(y_, g_); }

Result<CpaceIsk> CpaceParty::finish(ByteView peer_point, ByteView peer_ad) const {
    auto own = message();
    if (!own) return own.error();
    auto k = cpace_scalar_mult_vfy(y_, peer_point);
    if (!k) return k.error();
    const bool a = role_ == Role::initiator;
    const Bytes transcript = a ? cpace_transcript(mode_, *own, own_ad_, peer_point, peer_ad)
                               : cpace_transcript(mode_, peer_point, peer_ad, *own, own_ad_);
    return cpace_isk(sid_, *k, transcript);
}

}  // namespace twofold::handshake
