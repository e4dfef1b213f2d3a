// Arbitrary bytes as a group message: parse_group_message, then open_message with a fixed
// epoch's keys; and as a stored replay window. Each must accept or refuse, never crash or leak.
// Inputs that pass parsing are rare, so the seeds (fuzz/corpus/group_message/) include messages
// protected under the keys below: the fuzzer mutates them into every shape of tampering.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "crypto/gk.h"
#include "member/message_protection.h"
#include "member/replay_window.h"

namespace {

using namespace twofold;

// The seeds were made with these keys (all-0x01 RN1, all-0x02 RN2, group "fuzz"), so they open;
// other_group_key under RN1 all-0x03, and v1_hello_refused in the first format (BLAKE2b digest,
// no format_version), kept so the fuzzer also starts from a message refused for its version.
const crypto::EpochKeySchedule& fixed_keys() {
    static const crypto::EpochKeySchedule keys = [] {
        crypto::Rn1 rn1;
        crypto::Rn2 rn2;
        std::fill(rn1.mutable_span().begin(), rn1.mutable_span().end(), std::uint8_t{0x01});
        std::fill(rn2.mutable_span().begin(), rn2.mutable_span().end(), std::uint8_t{0x02});
        return crypto::EpochKeySchedule(crypto::derive_group_key(rn1, rn2, *crypto::GroupName::parse("fuzz")));
    }();
    return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView input(data, size);
    if (auto message = member::parse_group_message(input)) {
        crypto::SecretBuffer plaintext;
        if (member::open_message_into(*message, fixed_keys(), plaintext)) {
            // Only a message signed by its sender and sealed under these keys gets here.
            if (plaintext.size() + 16 != message->ciphertext().size()) __builtin_trap();
        }
    }
    if (auto window = member::ReplayWindow::parse(input)) {
        // A parsed window serialises to bytes that parse back to the same state (the older 0x01
        // encoding is rewritten as 0x02), and keeps working.
        const Bytes bytes = window->serialise();
        if (input[0] != 0x01 && bytes != Bytes(input.begin(), input.end())) __builtin_trap();
        auto again = member::ReplayWindow::parse(bytes);
        if (!again || again->serialise() != bytes) __builtin_trap();
        const std::uint64_t probe = size > 9 ? data[9] : 0;
        std::vector<member::SequenceRange> lost;
        if (window->check(probe)) window->mark(probe, &lost);
        for (const auto& r : window->take_gaps()) {
            if (r.first > r.last) __builtin_trap();
        }
        if (!member::ReplayWindow::parse(window->serialise())) __builtin_trap();
    }
    return 0;
}
