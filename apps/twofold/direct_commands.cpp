#include "direct_commands.h"

#include <atomic>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>

#include "outcome_lines.h"

namespace twofold::cli {

namespace {

std::atomic<bool> g_cancelled{false};
void on_interrupt(int) { g_cancelled = true; }

DirectOptions options_of(const DirectArgs& a, bool as_json) {
    DirectOptions o;
    o.wait = std::chrono::seconds(a.wait_seconds);
    o.connect_timeout = std::chrono::seconds(a.connect_seconds);
    o.prefer = a.direct == "prefer";
    o.loopback_only = a.loopback_only;
    o.progress = [as_json](const DirectProgress& p) { print_direct_progress(p, as_json); };
    // Ctrl-C (or SIGTERM) ends the wait; the inviter's code is void from then on.
    g_cancelled = false;
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    o.cancelled = [] { return g_cancelled.load(); };
    return o;
}

void add_loopback_flag(CLI::App& cmd, DirectArgs& a) {
    cmd.add_flag("--loopback-only", a.loopback_only,
                 "direct route: gather 127.0.0.1 candidates only (one machine: tests, make demo)");
    cmd.add_option("--connect-timeout", a.connect_seconds,
                   "direct route: seconds for a working candidate pair (default 10)");
}

}  // namespace

void add_direct_invite_options(CLI::App& invite, DirectArgs& a) {
    invite.add_flag("--direct{on}", a.direct,
                    "hand over RN1 directly, confirmed by a code you tell the invitee; --direct=prefer falls back "
                    "to the public-key route when no connection works")
        ->check(CLI::IsMember({"on", "prefer"}));
    invite.add_option("--wait", a.wait_seconds, "direct route: seconds to wait for the invitee (default 600)");
    add_loopback_flag(invite, a);
}

void add_direct_accept_options(CLI::App& accept, DirectArgs& a) {
    accept.add_option("--code", a.code, "the code the inviter told you: join by the direct route");
    add_loopback_flag(accept, a);
}

Status invite_direct(Member& m, const std::string& group, const std::string& account, Rights rights,
                     const DirectArgs& a, bool as_json) {
    const DirectOptions options = options_of(a, as_json);
    auto done = m.invite_direct(group, account, rights, options, [&](std::string_view code) {
        const std::string wait = std::to_string(a.wait_seconds) + " s";
        if (as_json) {
            std::cout << nlohmann::json{{"event", "direct"}, {"stage", "code"}, {"code", std::string(code)},
                                        {"wait_seconds", a.wait_seconds}}
                             .dump()
                      << std::endl;
        } else {
            std::cout << "code " << code << " — tell it to " << account << " (by phone or in person), who runs `twofold accept "
                      << m.account() << " --code " << code << "`; waiting up to " << wait
                      << " (Ctrl-C cancels and voids the code)" << std::endl;
        }
    });
    if (!done) return done.error();
    print_direct_invited(*done, as_json);
    return {};
}

Status accept_direct(Member& m, const std::string& which, const DirectArgs& a, bool as_json) {
    auto done = m.accept_direct(which, *a.code, options_of(a, as_json));
    if (!done) return done.error();
    print_direct_accepted(*done, as_json);
    return {};
}

}  // namespace twofold::cli
