// libFuzzer target: an adversarial byte stream through the frame decoder, every frame through
// each top-level message parser and validator. Nothing may crash, hang or allocate unboundedly.
#include <cstddef>
#include <cstdint>

#include "wire/frame.h"
#include "wire/message.h"
#include "wire/validate.h"

namespace {

template <class Message>
void parse_and_validate(twofold::ByteView payload) {
    auto m = twofold::wire::parse_message<Message>(payload);
    if (m.ok()) (void)twofold::wire::validate(*m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace twofold;
    if (size < 1) return 0;
    // The first byte picks the chunk size, so the decoder sees every way a stream can be split.
    const std::size_t chunk = 1 + data[0] % 64;
    const ByteView stream(data + 1, size - 1);

    wire::FrameDecoder decoder(64 * 1024);
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
        if (!decoder.feed(stream.subspan(at, std::min(chunk, stream.size() - at))).ok()) break;
        while (auto frame = decoder.next()) {
            parse_and_validate<v1::GmsRequest>(*frame);
            parse_and_validate<v1::RelayRequest>(*frame);
            parse_and_validate<v1::GroupMessage>(*frame);
            parse_and_validate<v1::Invitation>(*frame);
            parse_and_validate<v1::Acceptance>(*frame);
            parse_and_validate<v1::Rn1Delivery>(*frame);
            parse_and_validate<v1::Withdrawal>(*frame);
            parse_and_validate<v1::MembershipStatement>(*frame);
        }
    }
    (void)decoder.finish();
    (void)wire::decode_single_frame(stream);
    return 0;
}
