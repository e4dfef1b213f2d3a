#include "lan/session.h"

#include <charconv>

#include "crypto/sha256.h"
#include "wire/validate.h"

namespace twofold::lan {

namespace {

constexpr std::string_view kAnnouncementLabel = "twofold/v1 session announcement";
constexpr std::uint32_t kAdminScopedBlock = 239u << 24;  // 239.0.0.0/8

void put_be(Bytes& out, std::uint64_t v, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

std::uint32_t prefix_mask(std::uint8_t length) {
    return length == 0 ? 0 : ~std::uint32_t{0} << (32 - length);
}

Result<std::uint32_t> parse_dotted_quad(std::string_view text) {
    std::uint32_t address = 0;
    const char* p = text.data();
    const char* end = text.data() + text.size();
    for (int i = 0; i < 4; ++i) {
        unsigned octet = 256;
        auto [next, ec] = std::from_chars(p, end, octet);
        if (ec != std::errc{} || octet > 255 || next == p || next - p > 3) {
            return make_error(Errc::invalid_argument, "not an IPv4 address: " + std::string(text));
        }
        address = (address << 8) | octet;
        p = next;
        if (i < 3) {
            if (p == end || *p != '.') return make_error(Errc::invalid_argument, "not an IPv4 address: " + std::string(text));
            ++p;
        }
    }
    if (p != end) return make_error(Errc::invalid_argument, "not an IPv4 address: " + std::string(text));
    return address;
}

}  // namespace

Result<Scope> parse_scope(std::string_view name) {
    if (name == "subnet") return Scope::subnet;
    if (name == "site") return Scope::site;
    if (name == "region") return Scope::region;
    if (name == "world") return Scope::world;
    return make_error(Errc::invalid_argument,
                      "unknown multicast scope '" + std::string(name) + "' (subnet, site, region or world)");
}

std::string_view scope_name(Scope scope) {
    switch (scope) {
        case Scope::subnet: return "subnet";
        case Scope::site: return "site";
        case Scope::region: return "region";
        case Scope::world: return "world";
    }
    return "?";
}

Result<AddressRange> parse_range(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return make_error(Errc::invalid_argument, "multicast range must be ADDRESS/PREFIX, not " + std::string(text));
    }
    auto base = parse_dotted_quad(text.substr(0, slash));
    if (!base) return base.error();
    unsigned length = 0;
    const std::string_view len_text = text.substr(slash + 1);
    auto [next, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
    if (ec != std::errc{} || next != len_text.data() + len_text.size() || length < 8 || length > 30) {
        return make_error(Errc::invalid_argument, "multicast range prefix must be 8-30: " + std::string(text));
    }
    if ((*base & prefix_mask(8)) != kAdminScopedBlock) {
        return make_error(Errc::invalid_argument, "multicast range " + std::string(text) +
                                                      " is outside 239.0.0.0/8, the administratively scoped block");
    }
    const auto prefix = static_cast<std::uint8_t>(length);
    if ((*base & ~prefix_mask(prefix)) != 0) {
        return make_error(Errc::invalid_argument, "multicast range " + std::string(text) + " has host bits set");
    }
    return AddressRange{*base, prefix};
}

std::string format_address(std::uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." + std::to_string((a >> 8) & 0xff) +
           "." + std::to_string(a & 0xff);
}

std::uint32_t group_address(const AddressRange& range, std::string_view group_id) {
    const std::uint64_t size = std::uint64_t{1} << (32 - range.prefix_length);
    const crypto::Sha256Digest d = crypto::sha256(as_bytes(group_id));
    std::uint64_t h = 0;
    for (int i = 0; i < 8; ++i) h = (h << 8) | d[static_cast<std::size_t>(i)];
    return range.base + static_cast<std::uint32_t>(1 + h % (size - 2));  // never the first or the last
}

Bytes announcement_signed_bytes(const v1::SessionAnnouncement& a) {
    Bytes out(kAnnouncementLabel.begin(), kAnnouncementLabel.end());
    out.push_back(0x00);
    append(out, as_bytes(a.group_id()));
    put_be(out, a.address(), 4);
    put_be(out, a.port(), 2);
    put_be(out, a.ttl(), 1);
    put_be(out, a.valid_from_unix(), 8);
    put_be(out, a.valid_until_unix(), 8);
    return out;
}

v1::SessionAnnouncement announce(const SessionPlan& plan, std::string_view group_id, std::uint64_t now_unix,
                                 std::uint64_t lifetime_seconds, const crypto::SigningKey& gms_key) {
    v1::SessionAnnouncement a;
    a.set_group_id(std::string(group_id));
    a.set_address(group_address(plan.range, group_id));
    a.set_port(plan.port);
    a.set_ttl(static_cast<std::uint32_t>(plan.scope));
    a.set_valid_from_unix(now_unix);
    a.set_valid_until_unix(now_unix + lifetime_seconds);
    const crypto::Signature sig = gms_key.sign(announcement_signed_bytes(a));
    a.set_gms_signature(std::string(sig.begin(), sig.end()));
    return a;
}

Status verify_announcement(const v1::SessionAnnouncement& a, const crypto::SignPublicKey& gms_key,
                           std::string_view expected_group_id, std::uint64_t now_unix) {
    if (a.group_id().size() != wire::kGroupIdBytes) {
        return make_error(Errc::malformed, "session announcement group_id must be 16 bytes");
    }
    if (a.gms_signature().size() != wire::kSignatureBytes) {
        return make_error(Errc::malformed, "session announcement signature must be 64 bytes");
    }
    if ((a.address() >> 24) != 239) {
        return make_error(Errc::malformed, "session announcement address " + format_address(a.address()) +
                                               " is outside 239.0.0.0/8");
    }
    if (a.port() == 0 || a.port() > 65535) return make_error(Errc::malformed, "session announcement port out of range");
    if (a.ttl() == 0 || a.ttl() > 255) return make_error(Errc::malformed, "session announcement TTL out of range");
    if (!crypto::verify_signature(gms_key, announcement_signed_bytes(a), as_bytes(a.gms_signature()))) {
        return make_error(Errc::auth_failed, "session announcement signature does not verify with the GMS key");
    }
    if (a.group_id() != expected_group_id) {
        return make_error(Errc::forbidden, "session announcement is for another group");
    }
    if (now_unix < a.valid_from_unix() || now_unix >= a.valid_until_unix()) {
        return make_error(Errc::stale_epoch, "session announcement is valid only from " +
                                                 std::to_string(a.valid_from_unix()) + " to " +
                                                 std::to_string(a.valid_until_unix()) + " (now " +
                                                 std::to_string(now_unix) + ")");
    }
    return {};
}

}  // namespace twofold::lan
