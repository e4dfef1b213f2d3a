// Statements as the GMS signs them, for the mqtt_auth suites.
#pragma once

#include <string>

#include "crypto/sign.h"
#include "wire/statement.h"

namespace twofold::mqtt_auth::testing {

inline std::string group_id(char fill) { return std::string(16, fill); }

inline std::string key_of(const crypto::SigningKey& k) {
    return std::string(k.public_key().begin(), k.public_key().end());
}

inline std::string signed_statement(const crypto::SigningKey& gms, const std::string& group, const std::string& member,
                                    std::uint64_t epoch, std::uint64_t expires_unix, std::uint64_t valid_until = 0,
                                    std::uint64_t member_since = 1) {
    v1::MembershipStatement s;
    s.set_group_id(group);
    s.set_epoch(epoch);
    s.set_identity_key(member);
    s.set_account("alice");
    s.set_expires_unix(expires_unix);
    s.set_member_since(member_since);
    s.set_valid_until(valid_until);
    wire::sign_statement(s, gms);
    return s.SerializeAsString();
}

}  // namespace twofold::mqtt_auth::testing
