// Shared pieces of the relay tests: a stand-in GMS that signs statements, members with identity
// keys, and fresh directories.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "crypto/random.h"
#include "crypto/sign.h"
#include "twofold/v1/common.pb.h"
#include "wire/statement.h"

namespace twofold::relay::testing {

inline constexpr std::size_t kTestGroupIdBytes = 16;
inline constexpr std::uint64_t kHourSeconds = 3600;

inline std::string group_id_for(std::uint8_t n) { return std::string(kTestGroupIdBytes, static_cast<char>(n)); }

inline std::string key_of(const crypto::SigningKey& k) {
    return {reinterpret_cast<const char*>(k.public_key().data()), k.public_key().size()};
}

// Signs membership statements the way twofold-gms does.
struct FakeGms {
    crypto::SigningKey key = crypto::SigningKey::generate();

    // member_since: the epoch the member's latest join produced (0: a GMS that does not say).
    v1::MembershipStatement statement(const std::string& group, const crypto::SigningKey& member, std::uint64_t epoch,
                                      std::uint64_t expires_unix, std::uint64_t member_since = 0,
                                      std::uint64_t valid_until = 0) const {
        v1::MembershipStatement s;
        s.set_group_id(group);
        s.set_epoch(epoch);
        s.set_member_since(member_since);
        s.set_identity_key(key_of(member));
        s.set_account("member");
        s.set_expires_unix(expires_unix);
        s.set_valid_until(valid_until);
        wire::sign_statement(s, key);
        return s;
    }
};

inline std::filesystem::path fresh_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("twofold-relay-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace twofold::relay::testing
