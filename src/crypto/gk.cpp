#include "crypto/gk.h"

#include "crypto/random.h"
#include "crypto/sha256.h"

namespace twofold::crypto {

Rn1 make_rn1() { return random_secret<Rn1>(); }
Rn2 make_rn2() { return random_secret<Rn2>(); }

GroupKey derive_group_key(const Rn1& rn1, const Rn2& rn2, const GroupName& name) {
    GroupKey gk;
    Sha256 h;
    h.update(rn1.span());
    h.update(rn2.span());
    h.update(name.bytes());
    h.finish(gk.mutable_span());
    return gk;
}

}  // namespace twofold::crypto
