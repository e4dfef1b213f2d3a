// CPace over ristretto255 with SHA-512 (CPACE-RISTR255-SHA512, draft-irtf-cfrg-cpace: the
// revision in the CFRG repository at commit 8fb4056, 2026-04-23). A balanced PAKE: both sides
// derive a generator from the password related string PRS, exchange Y = y·g, and hash the
// shared point K into the intermediate session key ISK. An attacker gets one online guess of
// the PRS per run and nothing to test guesses against offline.
//
// Pure: the scalar comes from crypto/random.h unless a test fixes it.
#pragma once

#include <optional>
#include <string_view>

#include "core/result.h"
#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace twofold::handshake {

inline constexpr std::string_view kCpaceRistretto255Dsi = "CPaceRistretto255";
inline constexpr std::string_view kCpaceIskDsiSuffix = "_ISK";
inline constexpr std::string_view kCpaceSidOutputLabel = "CPaceSidOutput";
inline constexpr std::size_t kCpacePointBytes = 32;   // ristretto255 encoding
inline constexpr std::size_t kCpaceScalarBytes = 32;  // G.group_size_bytes
inline constexpr std::size_t kCpaceScalarBits = 252;  // G.group_size_bits
inline constexpr std::size_t kCpaceIskBytes = 64;     // SHA-512 output

using CpacePoint = FixedBytes<kCpacePointBytes>;  // a public element (Ya, Yb)
// The generator is derived from the password alone: knowing it allows offline guessing.
using CpaceGenerator = crypto::Secret<kCpacePointBytes, struct CpaceGeneratorTag>;
using CpaceScalar = crypto::Secret<kCpaceScalarBytes, struct CpaceScalarTag>;
using CpaceSharedPoint = crypto::Secret<kCpacePointBytes, struct CpaceSharedPointTag>;  // K
using CpaceIsk = crypto::Secret<kCpaceIskBytes, struct CpaceIskTag>;

// initiator_responder: transcript_ir = lv_cat(Ya,ADa) || lv_cat(Yb,ADb), for fixed roles;
// ordered: transcript_oc = o_cat(lv_cat(Ya,ADa), lv_cat(Yb,ADb)), for parallel runs.
enum class CpaceTranscript { initiator_responder, ordered };

// calculate_generator: SHA-512(generator_string) mapped by ristretto255's element derivation.
CpaceGenerator cpace_calculate_generator(ByteView prs, ByteView ci, ByteView sid);
// sample_scalar: 32 random bytes with the bits above 252 cleared (the draft's recommendation).
CpaceScalar cpace_sample_scalar();
// scalar_mult(y, g): Y = encode(y·g). Fails only for a zero scalar (the identity would result).
Result<CpacePoint> cpace_scalar_mult(const CpaceScalar& y, const CpaceGenerator& g);
// scalar_mult_vfy(y, X) with the abort the draft requires: an invalid encoding or the identity
// element as K is an error naming which.
Result<CpaceSharedPoint> cpace_scalar_mult_vfy(const CpaceScalar& y, ByteView received);

Bytes cpace_transcript(CpaceTranscript mode, ByteView ya, ByteView ada, ByteView yb, ByteView adb);
// ISK = SHA-512(lv_cat(DSI || "_ISK", sid, K) || transcript(Ya, ADa, Yb, ADb)).
CpaceIsk cpace_isk(ByteView sid, const CpaceSharedPoint& k, ByteView transcript);
// The optional session id output: SHA-512("CPaceSidOutput" || transcript).
FixedBytes<kCpaceIskBytes> cpace_sid_output(ByteView transcript);

// One party's run. A (initiator) and B (responder) each: construct, send message(), then
// finish() with the peer's point and associated data.
class CpaceParty {
  public:
    enum class Role { initiator, responder };

    CpaceParty(Role role, ByteView prs, ByteView ci, ByteView sid, ByteView own_ad, CpaceTranscript mode,
               std::optional<CpaceScalar> fixed_scalar = std::nullopt);

    // Y to send along with own_ad; an error only for a degenerate scalar.
    Result<CpacePoint> message() const;
    // Verifies the peer's point and computes ISK; fails, naming the reason, on a bad point.
    Result<CpaceIsk> finish(ByteView peer_point, ByteView peer_ad) const;

  private:
    Role role_;
    CpaceTranscript mode_;
    Bytes sid_;
    Bytes own_ad_;
    CpaceGenerator g_;
    CpaceScalar y_;
};

}  // namespace twofold::handshake
