// ice_peer: one end of an ICE connection in the NAT lab (tests/natlab/lab.sh), run inside a
// network namespace. It gathers, writes its description to a file, waits for the peer's file,
// connects, echoes bytes over the reliable stream and prints one JSON line:
//   {"result":"connected","pair":"server-reflexive","local":"...","remote":"...","established_ms":N}
//   {"result":"failed","error":"no ICE candidate pair worked ..."}
// The exit status says whether the outcome matched --expect (a pair kind, or "failure").
// `ice_peer stun-probe IP:PORT IP:PORT...` prints the mapped address each server reports for one
// socket (the lab's check of its NAT types).
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "crypto/turn_rest_credentials.h"
#include "ice/agent.h"
#include "ice/servers.h"
#include "ice/stun_probe.h"

namespace {

using namespace twofold;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string to_text(const ice::Description& d) {
    std::string text = "ufrag " + d.ufrag + "\npwd " + d.pwd + "\n";
    for (const auto& c : d.candidates) text += "candidate " + c + "\n";
    return text;
}

ice::Description from_text(const std::string& text) {
    ice::Description d;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("ufrag ", 0) == 0) d.ufrag = line.substr(6);
        if (line.rfind("pwd ", 0) == 0) d.pwd = line.substr(4);
        if (line.rfind("candidate ", 0) == 0) d.candidates.push_back(line.substr(10));
    }
    return d;
}

// Written whole, then renamed, so the peer never reads half a file.
void write_file(const std::string& path, const std::string& text) {
    { std::ofstream(path + ".tmp") << text; }
    std::rename((path + ".tmp").c_str(), path.c_str());
}

std::string wait_for_file(const std::string& path, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        std::ifstream in(path);
        if (in) {
            std::stringstream s;
            s << in.rdbuf();
            return s.str();
        }
        std::this_thread::sleep_for(5ms);
    }
    return {};
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
    }
    return out + "\"";
}

std::string endpoint_text(const ice::Endpoint& e) {
    return std::string(ice::candidate_kind_name(e.kind)) + " " + e.address + ":" + std::to_string(e.port);
}

int stun_probe(const std::vector<std::string>& servers) {
    std::vector<ice::ServerAddress> addresses;
    for (const auto& s : servers) {
        auto a = ice::parse_server_address(s, "STUN server");
        if (!a) {
            std::cerr << a.error().message << "\n";
            return 2;
        }
        addresses.push_back(*a);
    }
    auto mapped = ice::stun_mapped_addresses(addresses, 3s);
    if (!mapped) {
        std::cerr << mapped.error().message << "\n";
        return 1;
    }
    for (const auto& m : *mapped) std::cout << m.address << ":" << m.port << "\n";
    return 0;
}

// One byte pattern each way: the controlling end sends, the controlled end echoes it back.
Status exchange(ice::Agent& agent, bool controlling) {
    std::vector<std::uint8_t> message(4096);
    for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<std::uint8_t>(i * 31);
    if (controlling) {
        if (auto s = agent.send(message, 5s); !s) return s;
    }
    std::vector<std::uint8_t> got;
    while (got.size() < message.size()) {
        auto part = agent.receive(message.size() - got.size(), 5s);
        if (!part) return part.error();
        got.insert(got.end(), part->begin(), part->end());
    }
    if (got != message) return make_error(Errc::malformed, "the stream delivered other bytes than were sent");
    if (controlling) return agent.send(std::vector<std::uint8_t>{'.'}, 5s);  // "done": the peer may go
    if (auto s = agent.send(got, 5s); !s) return s;
    // Stay until the controlling end has the echo: pseudo-TCP may still have to retransmit it.
    (void)agent.receive(1, 5s);
    return {};
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"one end of an ICE connection in the NAT lab"};
    std::vector<std::string> probe_servers;
    auto* probe = app.add_subcommand("stun-probe", "mapped address per STUN server, one socket");
    probe->add_option("servers", probe_servers, "IP:PORT")->required();
    std::string role = "controlling", mine, theirs, stun, turn, turn_secret_file, expect;
    int timeout_ms = 10'000;
    app.add_option("--role", role)->check(CLI::IsMember({"controlling", "controlled"}));
    app.add_option("--write", mine, "file to write this end's description to");
    app.add_option("--read", theirs, "file the peer's description appears in");
    app.add_option("--stun", stun, "IP:PORT");
    app.add_option("--turn", turn, "IP:PORT");
    app.add_option("--turn-secret-file", turn_secret_file, "coturn's shared secret (credentials made as the GMS does)");
    app.add_option("--timeout-ms", timeout_ms, "bound on connecting")->capture_default_str();
    app.add_option("--expect", expect, "host, server-reflexive, relayed or failure");
    CLI11_PARSE(app, argc, argv);
    if (probe->parsed()) return stun_probe(probe_servers);
    if (mine.empty() || theirs.empty()) {
        std::cerr << "--write and --read are required\n";
        return 2;
    }

    std::string username, password;
    if (!turn.empty()) {
        std::ifstream in(turn_secret_file);
        std::string secret;
        std::getline(in, secret);
        const auto c = crypto::turn_rest_credentials(as_bytes(secret), "lab",
                                                     static_cast<std::uint64_t>(std::time(nullptr)) + 600);
        username = c.username;
        password = c.password;
    }
    auto servers = ice::servers_from(turn.empty() ? std::vector<std::string>{} : std::vector<std::string>{turn}, stun,
                                     username, password);
    if (!servers) {
        std::cerr << servers.error().message << "\n";
        return 2;
    }
    const bool controlling = role == "controlling";
    auto agent = ice::Agent::create({controlling ? ice::Role::controlling : ice::Role::controlled, *servers, {}});
    if (!agent) {
        std::cerr << agent.error().message << "\n";
        return 1;
    }
    auto description = (*agent)->gather(3s);
    if (!description) {
        std::cout << "{\"result\":\"failed\",\"error\":" << json_string(description.error().message) << "}\n";
        return 1;
    }
    write_file(mine, to_text(*description));
    const std::string remote = wait_for_file(theirs, 20s);
    if (remote.empty()) {
        std::cerr << "the peer's description never appeared in " << theirs << "\n";
        return 1;
    }
    const auto ready = Clock::now();  // both ends ready: descriptions exchanged
    if (auto s = (*agent)->set_remote(from_text(remote)); !s) {
        std::cout << "{\"result\":\"failed\",\"error\":" << json_string(s.error().message) << "}\n";
        return 1;
    }
    auto pair = (*agent)->wait_connected(std::chrono::milliseconds(timeout_ms));
    const auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - ready).count();
    if (!pair) {
        std::cout << "{\"result\":\"failed\",\"error\":" << json_string(pair.error().message)
                  << ",\"waited_ms\":" << waited_ms << "}\n";
        return expect == "failure" ? 0 : 1;
    }
    if (auto s = exchange(**agent, controlling); !s) {
        std::cout << "{\"result\":\"failed\",\"error\":" << json_string(s.error().message) << "}\n";
        return 1;
    }
    // Established: pair selected and a first round trip over the stream done.
    const auto established_ms = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - ready).count() / 1000.0;
    const std::string kind = ice::candidate_kind_name(pair->kind());
    std::cout << "{\"result\":\"connected\",\"pair\":" << json_string(kind) << ",\"local\":"
              << json_string(endpoint_text(pair->local)) << ",\"remote\":" << json_string(endpoint_text(pair->remote))
              << ",\"established_ms\":" << established_ms << "}\n";
    if (controlling) std::this_thread::sleep_for(100ms);  // "done" on its way before the agent closes
    return expect.empty() || expect == kind ? 0 : 1;
}
