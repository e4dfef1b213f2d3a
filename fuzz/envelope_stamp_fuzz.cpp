// libFuzzer target: arbitrary bytes as a group publication (what a client sends the broker) and
// as a stored delivery (what the plugin's read check sees). Nothing may crash; a publication the
// plugin lets through never looks stamped, and stamping it yields exactly that stamp.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mqtt_auth/envelope_stamp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace twofold::mqtt_auth;
    static const twofold::relay::GroupId group(16, '\x01');
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    (void)stamp_of(input);
    if (check_group_envelope(input, group)) {
        if (stamp_of(input)) std::abort();  // a publisher's own bytes passed for a stamp
        const std::uint64_t epoch = size * 0x9e3779b97f4a7c15ull;
        if (stamp_of(stamped(input, epoch)) != epoch) std::abort();
    }
    return 0;
}
