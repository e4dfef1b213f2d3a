#include "lan_rekey_command.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "twofold/member.h"

namespace twofold::bench {

namespace {

using json = nlohmann::json;

std::uint64_t now_us() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

// Inside the lab: follows as one member for `seconds`, printing every rekey arrival.
int run_follower(const std::string& home, const std::string& passphrase, int seconds) {
    auto member = Member::open(home, passphrase);
    if (!member) {
        std::cerr << "lan-follower: " << member.error().message << '\n';
        return 1;
    }
    (*member)->set_rekey_observer([](const RekeyArrival& a) {
        std::cout << json{{"group", a.group_id}, {"epoch", a.rn2_epoch}, {"path", a.path}, {"first", a.first},
                          {"at_us", now_us()}}
                         .dump()
                  << std::endl;
    });
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    Status s = (*member)->follow(
        std::nullopt, [](const Event&) {}, nullptr, [&] { return std::chrono::steady_clock::now() >= until; },
        std::chrono::milliseconds(100));
    if (!s) {
        std::cerr << "lan-follower: " << s.error().message << '\n';
        return 1;
    }
    return 0;
}

struct Stats {
    double min = 0, max = 0, ave = 0, std = 0;
    std::size_t n = 0;
};

Stats stats_of(const std::vector<double>& v) {
    Stats s;
    s.n = v.size();
    if (v.empty()) return s;
    s.min = v[0];
    s.max = v[0];
    double sum = 0;
    for (double x : v) {
        s.min = std::min(s.min, x);
        s.max = std::max(s.max, x);
        sum += x;
    }
    s.ave = sum / static_cast<double>(v.size());
    double sq = 0;
    for (double x : v) sq += (x - s.ave) * (x - s.ave);
    s.std = std::sqrt(sq / static_cast<double>(v.size()));
    return s;
}

int run_bench(const std::string& bin_dir, const std::string& lab_script, int renewals, bool as_json) {
    const std::filesystem::path out = std::filesystem::temp_directory_path() /
                                      ("twofold-lan-bench." + std::to_string(::getpid()));
    std::filesystem::create_directories(out);
    const std::string command = "bash '" + lab_script + "' '" + bin_dir + "' '" + out.string() + "' " +
                                std::to_string(renewals);
    if (std::system(command.c_str()) != 0) {
        std::cerr << "lan-rekey: the lab run failed (" << command << "); its files are in " << out << '\n';
        return 1;
    }
    // When the GMS made each rekey (its debug log), then when each member held it, by path.
    std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> made;
    const std::regex made_line(R"(rekey made: group ([0-9a-f]+) epoch ([0-9]+) at ([0-9]+) us)");
    std::ifstream gms_log(out / "gms" / "gms.log");
    for (std::string line; std::getline(gms_log, line);) {
        std::smatch m;
        if (std::regex_search(line, m, made_line)) made[{m[1].str(), std::stoull(m[2].str())}] = std::stoull(m[3].str());
    }
    std::map<std::string, std::vector<double>> by_path;  // ms
    std::map<std::string, std::vector<double>> holding;  // first arrival by any path
    for (const char* member : {"bob", "carol", "dave"}) {
        std::ifstream in(out / (std::string(member) + ".arrivals"));
        for (std::string line; std::getline(in, line);) {
            const json a = json::parse(line, nullptr, false);
            if (a.is_discarded()) continue;
            const auto it = made.find({a["group"].get<std::string>(), a["epoch"].get<std::uint64_t>()});
            if (it == made.end()) continue;
            const double ms = (static_cast<double>(a["at_us"].get<std::uint64_t>()) - static_cast<double>(it->second)) / 1000.0;
            by_path[a["path"].get<std::string>()].push_back(ms);
            if (a["first"].get<bool>()) holding["any"].push_back(ms);
        }
    }
    json result = {{"bench", "lan-rekey"}, {"renewals", renewals}, {"rekeys_made", made.size()}, {"members", 3}};
    auto add = [&](const std::string& name, const std::vector<double>& v) {
        const Stats s = stats_of(v);
        result["paths"][name] = {{"arrivals", s.n}, {"min_ms", s.min}, {"max_ms", s.max}, {"ave_ms", s.ave}, {"std_ms", s.std}};
    };
    for (const auto& [path, v] : by_path) add(path, v);
    add("first of any path", holding["any"]);
    std::filesystem::remove_all(out);
    if (as_json) {
        std::cout << result.dump() << '\n';
    } else {
        std::cout << result.dump(2) << '\n';
    }
    return 0;
}

}  // namespace

void add_lan_rekey_command(CLI::App& app, int* exit_status) {
    struct Args {
        int renewals = 200;
        bool json = false;
        std::string home, passphrase;
        int seconds = 10;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("lan-rekey", "rekey latency on the namespace LAN, by path (root)");
    cmd->add_option("--renewals", a->renewals, "timed renewals to measure (one a second)")->capture_default_str();
    cmd->add_flag("--json", a->json, "one JSON object");
    cmd->callback([a, exit_status] {
        const std::filesystem::path self = std::filesystem::canonical("/proc/self/exe");
        const std::string bin = self.parent_path().string();
        *exit_status = run_bench(bin, std::string(TWOFOLD_SOURCE_DIR) + "/tests/lanlab/lan_latency.sh", a->renewals, a->json);
    });
    CLI::App* follower = app.add_subcommand("lan-follower", "lan-rekey's member, inside the lab");
    follower->group("");  // internal
    follower->add_option("--home", a->home)->required();
    follower->add_option("--seconds", a->seconds)->required();
    follower->callback([a, exit_status] {
        const char* passphrase = std::getenv("TWOFOLD_PASSPHRASE");
        *exit_status = run_follower(a->home, passphrase ? passphrase : "", a->seconds);
    });
}

}  // namespace twofold::bench
