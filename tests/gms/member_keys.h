// What a member does with a welcome from the GMS: open the seal with its identity key and read
// its LKH path state.
#pragma once

#include "crypto/seal.h"
#include "crypto/x25519.h"
#include "lkh/member_state.h"
#include "twofold/v1/gms.pb.h"

namespace twofold::gms::testing {

inline Result<lkh::MemberState> open_welcome(const v1::Welcome& welcome, const crypto::SigningKey& identity) {
    const auto x = crypto::X25519KeyPair::from_signing_key(identity);
    auto opened = crypto::open_sealed(x, as_bytes(welcome.sealed_path()));
    if (!opened) return opened.error();
    return lkh::MemberState::parse(opened->span());
}

inline bool same_rn2(const lkh::MemberState& a, const lkh::MemberState& b) {
    return crypto::equal_constant_time(a.rn2(), b.rn2()) && a.epoch() == b.epoch();
}

}  // namespace twofold::gms::testing
