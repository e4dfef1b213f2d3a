// libFuzzer target: arbitrary bytes as a rekey message, parsed and applied to a member of a small
// real tree. Nothing may crash, and a refused message must leave the member as it was.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "lkh/key_tree.h"
#include "lkh/member_state.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace twofold;
    static const Bytes kGroup = {'f', 'u', 'z', 'z'};
    static lkh::KeyTree tree = [] {
        lkh::KeyTree t(kGroup, 1);
        for (lkh::MemberId m = 2; m <= 6; ++m) (void)t.join(m);
        return t;
    }();
    static const Bytes state_bytes = [] {
        auto s = tree.member_state(3);
        return Bytes(s->span().begin(), s->span().end());
    }();

    auto member = lkh::MemberState::parse(state_bytes);
    const std::uint64_t epoch_before = member->epoch();
    const Status applied = member->apply(ByteView(data, size));
    if (!applied && member->epoch() != epoch_before) std::abort();  // a refusal changed the state
    (void)lkh::MemberState::parse(ByteView(data, size));            // the state parser too
    (void)lkh::KeyTree::parse(ByteView(data, size));                // and the tree's storage format
    return 0;
}
