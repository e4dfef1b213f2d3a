// Google Benchmark micro-benchmarks of the key tree's hot paths, for profiling one piece at a
// time. The figures docs/performance.md records come from `twofold-bench lkh`, which measures a
// whole operation against the flat baseline; these are for finding where the time goes.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "lkh/key_tree.h"
#include "lkh/member_state.h"

namespace twofold::lkh {
namespace {

const Bytes kGroup = {'m', 'i', 'c', 'r', 'o'};

KeyTree make_tree(std::size_t members, unsigned arity) {
    std::vector<MemberId> ids(members);
    for (MemberId i = 0; i < members; ++i) ids[i] = i;
    return KeyTree::build(kGroup, ids, arity).value();
}

// A removal followed (untimed) by a join that puts the member count back.
void BM_Remove(benchmark::State& state) {
    const auto members = static_cast<std::size_t>(state.range(0));
    KeyTree tree = make_tree(members, static_cast<unsigned>(state.range(1)));
    std::mt19937_64 rng(1);
    MemberId next = members;
    std::size_t wraps = 0;
    for (auto _ : state) {
        MemberId victim;
        do victim = rng() % next; while (!tree.contains(victim));
        auto r = tree.remove(victim);
        wraps = r->wrapped_keys;
        benchmark::DoNotOptimize(r->message.data());
        state.PauseTiming();
        (void)tree.join(next++);
        state.ResumeTiming();
    }
    state.counters["wrapped_keys"] = static_cast<double>(wraps);
}

void BM_Renew(benchmark::State& state) {
    KeyTree tree = make_tree(static_cast<std::size_t>(state.range(0)), 2);
    for (auto _ : state) benchmark::DoNotOptimize(tree.renew().message.data());
}

// One member applying a removal's rekey; its state is restored (untimed) before each run.
void BM_MemberApply(benchmark::State& state) {
    const auto members = static_cast<std::size_t>(state.range(0));
    KeyTree tree = make_tree(members, 2);
    const MemberId witness = 0;
    const auto bytes = tree.member_state(witness);
    const MemberState before = MemberState::parse(bytes->span()).value();
    auto r = tree.remove(1);  // the witness's sibling: its whole path changes
    for (auto _ : state) {
        state.PauseTiming();
        MemberState m = before;
        state.ResumeTiming();
        benchmark::DoNotOptimize(m.apply(r->message).ok());
    }
}

void BM_Parse(benchmark::State& state) {
    KeyTree tree = make_tree(static_cast<std::size_t>(state.range(0)), 2);
    auto r = tree.remove(1);
    for (auto _ : state) benchmark::DoNotOptimize(RekeyMessage::parse(r->message).ok());
}

BENCHMARK(BM_Remove)->ArgsProduct({{1 << 10, 1 << 13, 1 << 16}, {2, 4}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Renew)->Arg(1 << 13)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MemberApply)->Arg(1 << 10)->Arg(1 << 16)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Parse)->Arg(1 << 16)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace twofold::lkh

BENCHMARK_MAIN();
