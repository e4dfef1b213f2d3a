// The GMS's multicast session announcements (docs/rekey-delivery.md): a member learns each of
// its groups' sessions at login, signed, valid as long as a membership statement.
#include "gms/core.h"

namespace twofold::gms {

void GmsCore::add_lan_session(const Group& g, std::uint64_t now_ms, v1::GroupStatus& status) const {
    if (!config_.lan) return;
    *status.mutable_lan_session() =
        lan::announce(*config_.lan, std::string(g.id.begin(), g.id.end()), now_ms / 1000, config_.statement_ttl_seconds, signing_key_);
}

}  // namespace twofold::gms
