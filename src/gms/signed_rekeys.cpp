// Every rekey the GMS makes is signed (wire/signed_rekey.h), so members may take it from any
// path: the push below to each connected member, and one publication per group (the server
// hands take_publications() to the relay after the commit).
#include "gms/core.h"
#include "wire/signed_rekey.h"

namespace twofold::gms {

namespace {

template <class Message>
std::shared_ptr<const Bytes> encoded(const Message& m) {
    auto bytes = std::make_shared<Bytes>(m.ByteSizeLong());
    m.SerializeToArray(bytes->data(), static_cast<int>(bytes->size()));
    return bytes;
}

}  // namespace

std::shared_ptr<const Bytes> GmsCore::signed_push(v1::Rekey rekey) {
    v1::GmsResponse push;
    *push.mutable_signed_rekey() = wire::sign_rekey(std::move(rekey), signing_key_);
    publications_.push_back(encoded(push.signed_rekey()));
    return encoded(push);
}

std::vector<std::shared_ptr<const Bytes>> GmsCore::take_publications() { return std::exchange(publications_, {}); }

}  // namespace twofold::gms
