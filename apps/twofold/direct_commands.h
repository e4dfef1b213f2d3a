// The direct route's options on `twofold invite` (--direct[=prefer], --wait) and `twofold accept`
// (--code): RN1 over a channel between the two members, confirmed by a code said aloud.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "twofold/member.h"

namespace twofold::cli {

struct DirectArgs {
    std::string direct;                // "", "on" (--direct) or "prefer" (--direct=prefer)
    std::optional<std::string> code;   // accept --code
    unsigned wait_seconds = 600;       // invite: how long to wait for the invitee
    unsigned connect_seconds = 10;     // for a working candidate pair
    bool loopback_only = false;        // gather 127.0.0.1 only
};

void add_direct_invite_options(CLI::App& invite, DirectArgs& a);
void add_direct_accept_options(CLI::App& accept, DirectArgs& a);

Status invite_direct(Member& m, const std::string& group, const std::string& account, Rights rights,
                     const DirectArgs& a, bool as_json);
Status accept_direct(Member& m, const std::string& which, const DirectArgs& a, bool as_json);

}  // namespace twofold::cli
