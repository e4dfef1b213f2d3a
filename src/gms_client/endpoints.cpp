#include "gms_client/endpoints.h"


namespace twofold::gms {

namespace {

std::vector<std::string_view> split(std::string_view text) {
    std::vector<std::string_view> parts;
    while (true) {
        const auto comma = text.find(',');
        parts.push_back(text.substr(0, comma));
        if (comma == std::string_view::npos) return parts;
        text.remove_prefix(comma + 1);
    }
}

}  // namespace

Result<std::vector<GmsEndpoint>> parse_gms_endpoints(std::string_view endpoints, std::string_view fingerprints) {
    const auto hosts = split(endpoints);
    const auto prints = split(fingerprints);
    if (prints.size() != 1 && prints.size() != hosts.size()) {
        return make_error(Errc::invalid_argument, "--gms-fingerprint: give one fingerprint for every --gms endpoint (" +
                                                      std::to_string(hosts.size()) + "), or one shared by all; got " +
                                                      std::to_string(prints.size()));
    }
    std::vector<GmsEndpoint> out;
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        auto ep = net::parse_endpoint(hosts[i], "--gms");
        if (!ep) return ep.error();
        // As given: the TLS client checks its form when it pins it.
        const std::string fp(prints[prints.size() == 1 ? 0 : i]);
        for (const GmsEndpoint& seen : out) {
            if (seen.endpoint.to_string() == ep->to_string()) {
                return make_error(Errc::invalid_argument, "--gms: " + ep->to_string() + " is given twice");
            }
        }
        out.push_back({*ep, fp});
    }
    return out;
}

std::string fingerprint_for(const std::vector<GmsEndpoint>& known, const net::Endpoint& address) {
    for (const GmsEndpoint& k : known) {
        if (k.endpoint.host == address.host && k.endpoint.port == address.port) return k.fingerprint;
    }
    for (const GmsEndpoint& k : known) {
        if (k.fingerprint != known.front().fingerprint) return {};
    }
    return known.empty() ? std::string() : known.front().fingerprint;
}

}  // namespace twofold::gms
