#include "direct_command.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "measure.h"

namespace twofold::bench {

namespace {

struct DirectOptions {
    unsigned rtt_ms = 40;
    unsigned runs = 5;
    std::string peer;  // ice_peer; default: beside this program
    bool json = false;
};

// Targets at 40 ms RTT (issue 13): cone <-> cone established within 1 s, relayed within 1.5 s.
const std::map<std::string, double> kTargetMs = {{"cone-cone", 1000}, {"symmetric-relay", 1500}};
const char* const kCases[] = {"lan", "cone-cone", "symmetric-relay"};

std::string beside_this_program(const std::string& name) {
    return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / name).string();
}

void run(const DirectOptions& o, int* exit_status) {
    const std::string peer = o.peer.empty() ? beside_this_program("ice_peer") : o.peer;
    const std::string command = "bash '" TWOFOLD_SOURCE_DIR "/tests/natlab/bench.sh' '" + peer + "' " +
                                std::to_string(o.rtt_ms) + " " + std::to_string(o.runs);
    std::unique_ptr<FILE, int (*)(FILE*)> lab(::popen(command.c_str(), "r"), ::pclose);
    if (!lab) {
        std::cerr << "twofold-bench direct: cannot run " << command << "\n";
        *exit_status = 1;
        return;
    }
    std::map<std::string, std::vector<double>> established;
    std::map<std::string, std::string> pairs;
    char line[256];
    while (std::fgets(line, sizeof line, lab.get()) != nullptr) {
        std::istringstream in(line);
        std::string name, pair;
        double ms = 0;
        if (in >> name >> ms >> pair) {
            established[name].push_back(ms);
            pairs[name] = pair;
        }
    }
    const int status = ::pclose(lab.release());
    if (status != 0) {
        std::cerr << "twofold-bench direct: the NAT lab failed (status " << status
                  << "; it needs root, and netem for --rtt-ms above 0)\n";
        *exit_status = 1;
        return;
    }
    for (const char* name : kCases) {
        const auto& samples = established[name];
        if (samples.size() != o.runs) {
            std::cerr << "twofold-bench direct: " << name << ": " << samples.size() << " of " << o.runs << " runs\n";
            *exit_status = 1;
            continue;
        }
        const double med = median(samples);
        const auto target = kTargetMs.find(name);
        // The targets are stated at 40 ms RTT; at another RTT the figure is reported, not judged.
        const bool judged = target != kTargetMs.end() && o.rtt_ms == 40;
        const bool met = !judged || med <= target->second;
        if (!met) *exit_status = 1;
        if (o.json) {
            JsonLine j;
            j.add("bench", std::string("direct")).add("case", std::string(name)).add("pair", pairs[name]);
            j.add("rtt_ms", std::uint64_t{o.rtt_ms}).add("runs", std::uint64_t{o.runs});
            j.add("established_median_ms", med).add("established_max_ms", quantile(samples, 1.0));
            if (o.rtt_ms > 0) j.add("round_trips", med / o.rtt_ms);
            if (judged) j.add("target_ms", target->second).add("target_met", std::string(met ? "yes" : "no"));
            std::cout << j.str() << "\n";
        } else {
            std::cout << name << " (" << pairs[name] << "): established median " << med << " ms over " << o.runs
                      << " runs at " << o.rtt_ms << " ms RTT";
            if (o.rtt_ms > 0) std::cout << " = " << med / o.rtt_ms << " RTTs";
            if (judged) std::cout << "; target " << target->second << " ms " << (met ? "met" : "MISSED");
            std::cout << "\n";
        }
    }
}

}  // namespace

void add_direct_command(CLI::App& app, int* exit_status) {
    auto o = std::make_shared<DirectOptions>();
    CLI::App* cmd = app.add_subcommand("direct", "ICE through the NAT lab's cone and symmetric NATs (needs root)");
    cmd->add_option("--rtt-ms", o->rtt_ms, "netem round trip between two sites")->capture_default_str();
    cmd->add_option("--runs", o->runs, "connections per case")->capture_default_str()->check(CLI::Range(1u, 101u));
    cmd->add_option("--peer", o->peer, "the ice_peer program (default: beside twofold-bench)");
    cmd->add_flag("--json", o->json, "one JSON line per case");
    cmd->callback([o, exit_status] { run(*o, exit_status); });
}

}  // namespace twofold::bench
