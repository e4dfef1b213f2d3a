// A group's multicast session: which administratively scoped address (RFC 2365) it uses, on
// which port, with which TTL, and the GMS-signed announcement that tells members so. Pure: no
// sockets, no clock (the caller passes the time).
//
// Signed bytes of an announcement (integers big-endian, docs/protocol.md):
//   "twofold/v1 session announcement" ‖ 0x00 ‖ group_id(16) ‖ address(4) ‖ port(2) ‖ ttl(1)
//   ‖ valid_from_unix(8) ‖ valid_until_unix(8)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/sign.h"
#include "twofold/v1/lan.pb.h"

namespace twofold::lan {

// The MBONE article's TTL thresholds: how far a datagram may travel.
enum class Scope : std::uint8_t { subnet = 1, site = 15, region = 63, world = 127 };

Result<Scope> parse_scope(std::string_view name);  // "subnet", "site", "region" or "world"
std::string_view scope_name(Scope scope);

// An IPv4 prefix of group addresses, e.g. 239.255.0.0/16 (the default: the IPv4 Local Scope).
struct AddressRange {
    std::uint32_t base = 0;  // host order, the prefix's first address
    std::uint8_t prefix_length = 0;
};

inline constexpr std::string_view kDefaultRange = "239.255.0.0/16";
inline constexpr std::uint16_t kDefaultPort = 7410;

// Accepts only prefixes inside 239.0.0.0/8, the administratively scoped block, of /8 to /30.
Result<AddressRange> parse_range(std::string_view text);
std::string format_address(std::uint32_t address);  // dotted quad

// The group's address: a hash of its id picks one inside the range, the first and last excluded
// (a network's all-zeros and all-ones addresses confuse some switches). Deterministic, so every
// GMS process of a deployment assigns the same one.
std::uint32_t group_address(const AddressRange& range, std::string_view group_id);

struct SessionPlan {
    AddressRange range;
    std::uint16_t port = kDefaultPort;
    Scope scope = Scope::site;
};

// The GMS's announcement for a group, valid for [now, now + lifetime).
v1::SessionAnnouncement announce(const SessionPlan& plan, std::string_view group_id, std::uint64_t now_unix,
                                 std::uint64_t lifetime_seconds, const crypto::SigningKey& gms_key);

Bytes announcement_signed_bytes(const v1::SessionAnnouncement& a);

// Shape, signature with the GMS's key, the group it names, and its validity at `now_unix`. Each
// refusal names what was wrong.
Status verify_announcement(const v1::SessionAnnouncement& a, const crypto::SignPublicKey& gms_key,
                           std::string_view expected_group_id, std::uint64_t now_unix);

}  // namespace twofold::lan
