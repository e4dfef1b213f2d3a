#include "lkh_command.h"

#include <iostream>
#include <memory>
#include <optional>
#include <random>

#include "lkh/key_tree.h"
#include "lkh/member_state.h"
#include "measure.h"

namespace twofold::bench {

namespace {

struct LkhOptions {
    std::uint64_t members = 8192;
    std::string op = "remove";
    unsigned arity = 2;
    unsigned runs = 31;
    unsigned flat_runs = 5;
    unsigned batch = 16;  // changes in one batch: half joins, half removals
    std::uint64_t seed = 1;
    bool json = false;
};

struct OpCost {
    std::vector<double> server_us;
    std::vector<double> member_us;
    std::size_t wrapped_keys = 0;
    std::size_t message_bytes = 0;
};

const Bytes kGroup = {'b', 'e', 'n', 'c', 'h'};

// Runs the operation `runs` times on `tree`, restoring the member count after each (untimed),
// and times one member whose path the operation changes applying the message.
Result<OpCost> measure(lkh::KeyTree& tree, const LkhOptions& o, unsigned runs, std::mt19937_64& rng,
                       lkh::MemberId& next_id, bool time_member) {
    OpCost cost;
    const auto random_member = [&] {
        // Leaves are dense, so a random leaf is a random member; its id is found by probing.
        for (;;) {
            const lkh::MemberId id = rng() % next_id;
            if (tree.contains(id)) return id;
        }
    };
    for (unsigned run = 0; run < runs; ++run) {
        std::vector<lkh::MemberId> joins, removes;
        if (o.op == "join") joins.push_back(next_id++);
        if (o.op == "remove") removes.push_back(random_member());
        if (o.op == "batch") {
            for (unsigned i = 0; i < o.batch / 2; ++i) joins.push_back(next_id++);
            while (removes.size() < o.batch / 2) {
                const auto m = random_member();
                if (std::find(removes.begin(), removes.end(), m) == removes.end()) removes.push_back(m);
            }
        }
        // A member that stays and shares the most path with the change: the removed member's
        // neighbour, or for a join the member that will be the joiner's neighbour.
        lkh::MemberId witness = random_member();
        while (std::find(removes.begin(), removes.end(), witness) != removes.end()) witness = random_member();
        std::unique_ptr<lkh::MemberState> state;
        if (time_member) {
            auto bytes = tree.member_state(witness);
            if (!bytes) return bytes.error();
            auto parsed = lkh::MemberState::parse(bytes->span());
            if (!parsed) return parsed.error();
            state = std::make_unique<lkh::MemberState>(std::move(*parsed));
        }

        const auto start = Clock::now();
        Result<lkh::Rekey> rekey = o.op == "renew" ? Result<lkh::Rekey>(tree.renew()) : tree.batch(joins, removes);
        const double server = micros_since(start);
        if (!rekey) return rekey.error();
        cost.server_us.push_back(server);
        cost.wrapped_keys = rekey->wrapped_keys;
        cost.message_bytes = rekey->message.size();

        if (time_member) {
            const auto m_start = Clock::now();
            const Status applied = state->apply(rekey->message);
            cost.member_us.push_back(micros_since(m_start));
            if (!applied) return applied.error();
            if (!std::equal(state->rn2().begin(), state->rn2().end(), tree.rn2().begin())) {
                return make_error(Errc::internal, "member derived a different RN2");
            }
        }
        // Put the member count back (untimed), so every run sees a tree of N members.
        if (!joins.empty() || !removes.empty()) {
            std::vector<lkh::MemberId> back_in;
            for (std::size_t i = 0; i < removes.size(); ++i) back_in.push_back(next_id++);
            if (auto r = tree.batch(back_in, joins); !r) return r.error();
        }
    }
    return cost;
}

int run_lkh(const LkhOptions& o) {
    if (o.op != "remove" && o.op != "join" && o.op != "renew" && o.op != "batch") {
        std::cerr << "twofold-bench: --op must be remove, join, renew or batch\n";
        return 2;
    }
    std::mt19937_64 rng(o.seed);
    std::vector<lkh::MemberId> ids(o.members);
    for (lkh::MemberId i = 0; i < o.members; ++i) ids[i] = i;

    std::optional<OpCost> cost;
    std::size_t tree_bytes = 0;
    double build_ms = 0;
    {  // the tree is freed before the baseline's is built
        const auto build_start = Clock::now();
        auto tree = lkh::KeyTree::build(kGroup, ids, o.arity);
        if (!tree) {
            std::cerr << "twofold-bench: " << tree.error().message << '\n';
            return 1;
        }
        build_ms = micros_since(build_start) / 1000;
        lkh::MemberId next_id = o.members;
        auto measured = measure(*tree, o, o.runs, rng, next_id, true);
        if (!measured) {
            std::cerr << "twofold-bench: " << measured.error().message << '\n';
            return 1;
        }
        cost = std::move(*measured);
        tree_bytes = tree->memory_bytes();
    }

    auto flat = lkh::KeyTree::build(kGroup, ids, lkh::kFlatArity);
    lkh::MemberId flat_next = o.members;
    auto flat_cost = measure(*flat, o, o.flat_runs, rng, flat_next, false);
    if (!flat_cost) {
        std::cerr << "twofold-bench: " << flat_cost.error().message << '\n';
        return 1;
    }
    const double server = median(cost->server_us);
    const double flat_server = median(flat_cost->server_us);
    if (o.json) {
        std::cout << JsonLine()
                         .add("members", o.members)
                         .add("op", o.op)
                         .add("arity", std::uint64_t{o.arity})
                         .add("wrapped_keys", std::uint64_t{cost->wrapped_keys})
                         .add("message_bytes", std::uint64_t{cost->message_bytes})
                         .add("server_us", server)
                         .add("member_us", median(cost->member_us))
                         .add("flat_wrapped_keys", std::uint64_t{flat_cost->wrapped_keys})
                         .add("flat_server_us", flat_server)
                         .add("tree_bytes", std::uint64_t{tree_bytes})
                         .str()
                  << '\n';
    } else {
        std::cout << "lkh " << o.op << " at " << o.members << " members, arity " << o.arity << " (median of "
                  << o.runs << " runs; tree built in " << build_ms << " ms)\n"
                  << "  tree:  " << cost->wrapped_keys << " wrapped keys, " << cost->message_bytes << " bytes, server "
                  << server << " us, member " << median(cost->member_us) << " us, tree " << tree_bytes / (std::size_t{1024} * 1024)
                  << " MiB\n"
                  << "  flat:  " << flat_cost->wrapped_keys << " wrapped keys, server " << flat_server << " us ("
                  << o.flat_runs << " runs)\n"
                  << "  flat / tree at the server: " << (server > 0 ? flat_server / server : 0) << "x\n";
    }
    return 0;
}

}  // namespace

void add_lkh_command(CLI::App& app, int* exit_status) {
    auto o = std::make_shared<LkhOptions>();
    CLI::App* cmd = app.add_subcommand("lkh", "one LKH operation on a tree of N members, against the flat baseline");
    cmd->add_option("--members", o->members, "members in the tree")->check(CLI::Range(std::uint64_t{2}, std::uint64_t{1} << 26));
    cmd->add_option("--op", o->op, "remove, join, renew or batch")->check(CLI::IsMember({"remove", "join", "renew", "batch"}));
    cmd->add_option("--arity", o->arity, "2 or 4")->check(CLI::IsMember({2u, 4u}));
    cmd->add_option("--runs", o->runs, "repetitions (median reported)")->check(CLI::Range(1u, 100000u));
    cmd->add_option("--flat-runs", o->flat_runs, "repetitions of the flat baseline")->check(CLI::Range(1u, 100000u));
    cmd->add_option("--batch-size", o->batch, "changes per batch (half joins, half removals)")->check(CLI::Range(2u, 4096u));
    cmd->add_option("--seed", o->seed, "random seed for member choice");
    cmd->add_flag("--json", o->json, "one JSON line");
    cmd->callback([o, exit_status] { *exit_status = run_lkh(*o); });
}

}  // namespace twofold::bench
