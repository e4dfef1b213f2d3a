#include "ice/agent.h"

namespace twofold::ice {

const char* candidate_kind_name(CandidateKind kind) noexcept {
    switch (kind) {
        case CandidateKind::host: return "host";
        case CandidateKind::server_reflexive: return "server-reflexive";
        case CandidateKind::peer_reflexive: return "peer-reflexive";
        case CandidateKind::relayed: return "relayed";
    }
    return "unknown";
}

CandidateKind SelectedPair::kind() const noexcept {
    if (local.kind == CandidateKind::relayed || remote.kind == CandidateKind::relayed) return CandidateKind::relayed;
    if (local.kind != CandidateKind::host || remote.kind != CandidateKind::host) return CandidateKind::server_reflexive;
    return CandidateKind::host;
}

namespace {
std::string describe(const Endpoint& e) {
    const bool v6 = e.address.find(':') != std::string::npos;
    return std::string(candidate_kind_name(e.kind)) + " " + (v6 ? "[" + e.address + "]" : e.address) + ":" +
           std::to_string(e.port);
}
}  // namespace

std::string describe(const SelectedPair& pair) {
    return std::string(candidate_kind_name(pair.kind())) + " (local " + describe(pair.local) + ", remote " +
           describe(pair.remote) + ")";
}

}  // namespace twofold::ice
