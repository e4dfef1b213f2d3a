// The GMS's state, as the paper's group table has it: accounts, groups by opaque id, and per
// group its members with their rights and the RN2 epoch each has acknowledged.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "crypto/bytes.h"
#include "crypto/sign.h"
#include "gms/group_keys.h"

namespace twofold::gms {

inline constexpr std::size_t kGroupIdBytes = 16;
using GroupId = FixedBytes<kGroupIdBytes>;
using AccountId = std::uint64_t;  // also the member's id in the LKH tree

// The GMS keeps who claimed the current RN1 generation and the two before it: the RN1s members
// still hold (their grace of two rekeys), so late deliveries of those can be checked too.
inline constexpr std::uint64_t kRn1ClaimsKept = 3;

struct Rights {
    bool may_invite = false;
    bool may_remove = false;
    // An inviter grants at most its own rights.
    bool covers(const Rights& other) const noexcept {
        return (may_invite || !other.may_invite) && (may_remove || !other.may_remove);
    }
    friend bool operator==(const Rights&, const Rights&) = default;
};

struct Policy {
    std::uint32_t rn2_interval_seconds = 60;
    std::uint32_t max_members = 0;  // 0: the server's limit
    bool strict = false;
    // The thesis's long period: members rotate RN1 when the current generation is this old.
    std::uint32_t rn1_interval_seconds = 7 * 24 * 3600;
    // The longest validity a membership may be given from now (invite, extend); 0: no limit.
    std::uint32_t max_validity_seconds = 0;
};

struct Account {
    AccountId id = 0;
    std::string name;
    std::string password_hash;  // Argon2id encoded string
    crypto::SignPublicKey identity_key{};
};

struct Membership {
    Rights rights;
    std::uint64_t acknowledged_epoch = 0;
    // The RN2 epoch its latest join produced: its welcomes carry the recent RN2s of this epoch
    // and later ones, never earlier (backward secrecy; GroupKeys::recent_rn2s_into). A re-added
    // member gets a new Membership, so this is the re-add. Stored (schema 3), as the recent
    // RN2s are, so a restart neither loses a member's epochs nor gives it earlier ones. A row
    // from before schema 3 loads 0: sound, because its group's keys then carry no recent RN2s
    // either, and a loaded member still here was a member of every epoch remembered from then on.
    std::uint64_t joined_epoch = 0;
    // The membership epoch its latest join produced (statements carry it as member_since; the
    // relay delivers group envelopes of this epoch on). A re-add sets it anew. Stored (schema 3).
    std::uint64_t member_since = 0;
    // When the membership expires (unix seconds; 0: never). The GMS removes the member then,
    // like a removal (ExpirySchedule); statements carry it. Stored (schema 4).
    std::uint64_t valid_until = 0;
};

struct Group {
    GroupId id{};
    Policy policy;
    std::uint64_t membership_epoch = 0;
    std::uint64_t rn1_generation = 0;
    std::map<AccountId, Membership> members;
    GroupKeys keys;
    // generation -> the account whose claim of it won, for the last kRn1ClaimsKept generations.
    // Stored; a generation claimed before the GMS recorded claimers (schema 1) has no entry.
    std::map<std::uint64_t, AccountId> rn1_claimers;
};

}  // namespace twofold::gms
