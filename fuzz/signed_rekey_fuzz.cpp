// libFuzzer target: arbitrary bytes as a SignedRekey from an untrusted path (the relay topic,
// multicast), parsed, shape-checked and verified, then judged as a member would. Nothing may
// crash; nothing that does not carry the GMS's signature may be accepted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "member/rekey_acceptance.h"
#include "wire/signed_rekey.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace twofold;
    static const crypto::SigningKey gms = crypto::SigningKey::generate();
    static const std::string group(16, '\x01');
    const ByteView input(data, size);
    auto parsed = wire::parse_signed_rekey(input, gms.public_key());
    if (parsed.ok()) std::abort();  // a forgery against a key generated in this process
    v1::SignedRekey raw;
    if (raw.ParseFromArray(data, static_cast<int>(size))) {
        if (wire::validate(raw.rekey()).ok()) (void)wire::rekey_signed_bytes(raw.rekey());
        if (member::accept_rekey(raw, gms.public_key(), group, {3, 3}).ok()) std::abort();
    }
    return 0;
}
