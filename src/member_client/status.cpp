// `twofold status`: a fresh connection to each server, its pinned fingerprint checked, and what
// the store holds. No sync: it shows where things stand, and works with a server down.
#include <algorithm>

#include "member_client/member_impl.h"
#include "net/endpoint.h"

namespace twofold {

namespace {

std::string address_of(const std::string& host, std::uint32_t port) { return host + ":" + std::to_string(port); }

}  // namespace

Result<StatusReport> Member::status() {
    const v1::MemberConfig& c = impl_->config_;
    StatusReport report;
    report.account = c.account();

    // Each GMS process (several on one database: one leads, the others stand by).
    for (const gms::GmsEndpoint& e : Impl::gms_endpoints_of(c)) {
        ServerStatus gms{"gms", e.endpoint.to_string(), e.fingerprint, false, {}};
        auto gms_client = gms::GmsClient::connect(e.endpoint, e.fingerprint);
        gms.reachable = gms_client.ok();
        if (!gms_client) gms.error = gms_client.error().message;
        report.servers.push_back(gms);
    }

    ServerStatus relay{"relay", address_of(c.relay_host(), c.relay_port()), c.relay_fingerprint(), false, {}};
    auto relay_client = member_client::connect_transport(c, impl_->identity_);
    relay.reachable = relay_client.ok();
    if (!relay_client) relay.error = relay_client.error().message;
    report.servers.push_back(relay);

    for (const auto& [gid, g] : impl_->groups_) report.groups.push_back(impl_->listed_info_of(g));
    std::sort(report.groups.begin(), report.groups.end(),
              [](const GroupInfo& a, const GroupInfo& b) { return a.name < b.name; });

    auto names = impl_->vault_.names("invitation");
    if (!names) return names.error();
    for (const auto& name : *names) {
        v1::ReceivedInvitation r;
        auto ok = member_client::get_message(impl_->vault_, "invitation", name, r);
        if (!ok) return ok.error();
        report.invitations.push_back(InvitationInfo{
            name, r.group_name(), r.invitation().inviter_account(),
            Rights{r.invitation().rights().may_invite(), r.invitation().rights().may_remove()}, r.accepted()});
    }

    auto deferred = impl_->vault_.names("deferred");
    if (!deferred) return deferred.error();
    report.deferred_envelopes = deferred->size();
    return report;
}

}  // namespace twofold
