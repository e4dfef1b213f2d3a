// Test-only access to a Member's internals, kept out of the public API (include/twofold): the
// tests include this internal header; applications cannot reach it through twofold/member.h.
#pragma once

#include <functional>
#include <string>

#include "member_client/member_impl.h"
#include "twofold/member.h"

namespace twofold::member_client {

struct MemberTestSeam {
    // Stands for a relay that alters the direct route's signalling it delivers (type: the
    // envelope type's number; payload: its bytes, to change in place). The real relay speaks
    // TLS to each member with a pinned fingerprint, so a proxy in between could alter nothing.
    static void tamper_direct_signalling(Member& m, std::function<void(int type, std::string& payload)> tamper) {
        m.impl_->direct_tamper_ = std::move(tamper);
    }
};

}  // namespace twofold::member_client
