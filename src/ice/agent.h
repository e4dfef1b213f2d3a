// An ICE agent (RFC 8445, libnice) giving one reliable byte stream to one peer.
//
// Plain C++ over libnice: no GLib type crosses this header. Each Agent runs its own GMainContext
// and GMainLoop on its own thread; every libnice call happens on that thread. The calls below may
// come from any one caller thread at a time (docs/direct-route.md, "The ICE layer").
//
//     auto agent = Agent::create(config);          // role, STUN/TURN servers
//     auto mine  = agent->gather(timeout);         // -> ufrag, pwd, candidate lines: send to the peer
//     agent->set_remote(theirs);                   // the peer's description, from signalling
//     auto pair  = agent->wait_connected(timeout); // -> the selected pair, or what was tried and why not
//     agent->send(bytes); agent->receive(max, timeout);
//
// The description is public (addresses and ICE credentials, no key): it travels in signalling
// envelopes the caller signs. The stream is not encrypted: the caller runs Noise over it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace twofold::ice {

// The controlling agent nominates the pair (RFC 8445 §7.2.5); here the inviter.
enum class Role { controlling, controlled };

// RFC 8445 §5.1.1: where a candidate's address comes from.
enum class CandidateKind { host, server_reflexive, peer_reflexive, relayed };
const char* candidate_kind_name(CandidateKind kind) noexcept;  // "host", "server-reflexive", ...

struct ServerAddress {
    std::string host;  // an IP address or a name getaddrinfo resolves
    std::uint16_t port = 0;
};

// A TURN server (UDP) and the short-lived credentials the GMS handed out (docs/direct-route.md).
// The password is a credential: never log it.
struct TurnServer {
    ServerAddress address;
    std::string username;
    std::string password;
};

struct Servers {
    std::optional<ServerAddress> stun;  // for server-reflexive candidates
    std::optional<TurnServer> turn;     // for relayed candidates
    // Gather 127.0.0.1 only: tests outside a network namespace and `make demo` (host pairs only).
    bool loopback_only = false;
};

// What one side tells the other (RFC 8445 §5.3): its ICE credentials and its candidates, each
// an SDP "a=candidate:" line as libnice writes and parses them.
struct Description {
    std::string ufrag;
    std::string pwd;
    std::vector<std::string> candidates;
};

// Bounds a received description must respect (checked in set_remote, before libnice sees it).
inline constexpr std::size_t max_credential_length = 256;
inline constexpr std::size_t max_candidates = 32;
inline constexpr std::size_t max_candidate_line_length = 512;

struct Endpoint {
    CandidateKind kind = CandidateKind::host;
    std::string address;  // IP address, as text
    std::uint16_t port = 0;
};

// The pair ICE selected. kind() summarises it: relayed if either side is relayed, else
// server-reflexive if either side's address came from a NAT (server- or peer-reflexive), else host.
struct SelectedPair {
    Endpoint local;
    Endpoint remote;
    CandidateKind kind() const noexcept;
};
std::string describe(const SelectedPair& pair);  // "server-reflexive (local 203.0.113.7:5000 ...)"

// Progress for the CLI (gathering, checking, connected via ...). Called on the agent's thread:
// it must return quickly and must not call back into the Agent.
enum class Stage { gathering, gathered, checking, connected, failed };
struct Progress {
    Stage stage;
    std::string detail;  // e.g. "host 1, server-reflexive 1, relayed 1" or describe(pair)
};
using ProgressFn = std::function<void(const Progress&)>;

struct Config {
    Role role = Role::controlling;
    Servers servers;
    ProgressFn progress;  // optional
};

class Agent {
  public:
    // Starts the agent's thread. Fails if libnice refuses the configuration (e.g. a server name
    // that does not resolve).
    static Result<std::unique_ptr<Agent>> create(Config config);
    // Cancels, releases TURN allocations (bounded wait), stops and joins the thread.
    ~Agent();
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    // Gathers local candidates; returns when gathering is done or at the timeout with what was
    // gathered so far (a TURN server that does not answer costs the timeout, not a failure).
    Result<Description> gather(std::chrono::milliseconds timeout);
    // The peer's description. Malformed, oversized or unparsable parts are refused, named.
    Status set_remote(const Description& remote);
    // Waits for a selected pair and a writable stream. On failure or timeout the error names which
    // candidate kinds were gathered on each side and why no pair worked.
    Result<SelectedPair> wait_connected(std::chrono::milliseconds timeout);

    // The reliable stream (libnice pseudo-TCP over the selected pair), usable after wait_connected.
    Status send(std::span<const std::uint8_t> bytes, std::chrono::milliseconds timeout);
    // Up to max bytes, at least one; Errc::timeout if none arrive in time.
    Result<std::vector<std::uint8_t>> receive(std::size_t max, std::chrono::milliseconds timeout);

    // Makes every waiting and later call return Errc::unavailable ("cancelled"). Any thread.
    void cancel();

  private:
    struct Impl;
    explicit Agent(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace twofold::ice
