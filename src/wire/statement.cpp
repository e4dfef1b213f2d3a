#include "wire/statement.h"

#include <string_view>

#include "core/validity.h"
#include "wire/validate.h"

namespace twofold::wire {

namespace {

constexpr std::string_view kStatementLabel = "twofold/v1 membership statement";
constexpr std::string_view kIdentityLabel = "twofold/v1 identity statement";

void put_u64(Bytes& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

}  // namespace

Bytes statement_signed_bytes(const v1::MembershipStatement& s) {
    Bytes out(kStatementLabel.begin(), kStatementLabel.end());
    out.push_back(0x00);
    append(out, as_bytes(s.group_id()));
    put_u64(out, s.epoch());
    append(out, as_bytes(s.identity_key()));
    out.push_back(static_cast<std::uint8_t>(s.account().size()));  // validated: at most 64
    append(out, as_bytes(s.account()));
    out.push_back(static_cast<std::uint8_t>((s.rights().may_invite() ? 1 : 0) | (s.rights().may_remove() ? 2 : 0)));
    put_u64(out, s.expires_unix());
    put_u64(out, s.member_since());
    put_u64(out, s.valid_until());
    return out;
}

void sign_statement(v1::MembershipStatement& statement, const crypto::SigningKey& gms_key) {
    const crypto::Signature sig = gms_key.sign(statement_signed_bytes(statement));
    statement.set_gms_signature(std::string(sig.begin(), sig.end()));
}

Status verify_statement(const v1::MembershipStatement& statement, const crypto::SignPublicKey& gms_key,
                        std::uint64_t now_unix) {
    if (auto s = validate(statement); !s) return s;
    if (auto s = crypto::verify_signature(gms_key, statement_signed_bytes(statement), as_bytes(statement.gms_signature()));
        !s) {
        return make_error(Errc::auth_failed, "membership statement signature does not verify with the GMS key");
    }
    // The membership's own end comes first: past it, the statement states nothing, however
    // long the GMS let it circulate.
    if (statement.valid_until() != 0 && statement.valid_until() <= now_unix) {
        return make_error(Errc::stale_epoch, "membership of " + statement.account() + " expired at " +
                                                 validity::format_utc_time(statement.valid_until()));
    }
    if (statement.expires_unix() <= now_unix) {
        return make_error(Errc::stale_epoch, "membership statement expired at " +
                                                 std::to_string(statement.expires_unix()) + " (now " +
                                                 std::to_string(now_unix) + ")");
    }
    return {};
}

std::uint64_t statement_deadline_unix(const v1::MembershipStatement& statement) {
    const std::uint64_t valid_until = statement.valid_until();
    return valid_until != 0 && valid_until < statement.expires_unix() ? valid_until : statement.expires_unix();
}

Bytes identity_signed_bytes(const v1::IdentityStatement& s) {
    Bytes out(kIdentityLabel.begin(), kIdentityLabel.end());
    out.push_back(0x00);
    out.push_back(static_cast<std::uint8_t>(s.account().size()));
    append(out, as_bytes(s.account()));
    append(out, as_bytes(s.identity_key()));
    return out;
}

void sign_identity(v1::IdentityStatement& statement, const crypto::SigningKey& gms_key) {
    const crypto::Signature sig = gms_key.sign(identity_signed_bytes(statement));
    statement.set_gms_signature(std::string(sig.begin(), sig.end()));
}

Status verify_identity(const v1::IdentityStatement& statement, const crypto::SignPublicKey& gms_key) {
    if (statement.account().empty() || statement.account().size() > kAccountMaxBytes ||
        statement.identity_key().size() != kIdentityKeyBytes || statement.gms_signature().size() != kSignatureBytes) {
        return make_error(Errc::malformed, "identity statement has a field of the wrong size");
    }
    if (!crypto::verify_signature(gms_key, identity_signed_bytes(statement), as_bytes(statement.gms_signature()))) {
        return make_error(Errc::auth_failed, "identity statement signature does not verify with the GMS key");
    }
    return {};
}

}  // namespace twofold::wire
