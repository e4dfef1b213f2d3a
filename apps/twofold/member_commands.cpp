#include "member_commands.h"

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/command_line.h"
#include "core/validity.h"
#include "direct_commands.h"
#include "outcome_lines.h"
#include "secret_input.h"
#include "twofold/member.h"

namespace twofold::cli {

namespace {

using apps::kExitFailure;
using apps::kExitOk;
using json = nlohmann::json;

// Options every member subcommand takes, before or after its name (`twofold --home H init`).
struct Common {
    std::string home;
    bool json = false;
    std::optional<std::string> passphrase_file;
};

std::string default_home() {
    const char* home = std::getenv("HOME");
    return std::string(home != nullptr ? home : ".") + "/.twofold";
}

// On the top-level app: subcommands hand options they do not know to their parent (fallthrough,
// set in main before any subcommand exists), so these are accepted after the subcommand too.
void add_common(CLI::App& app, Common& c) {
    c.home = default_home();
    CLI::App* cmd = &app;
    cmd->add_option("--home", c.home, "the member's directory (default ~/.twofold)");
    cmd->add_flag("--json", c.json, "machine-readable output, one JSON object per line");
    cmd->add_option("--passphrase-file", c.passphrase_file,
                    "file whose first line is the store's passphrase (or set TWOFOLD_PASSPHRASE)");
}

int fail(const Error& e) {
    std::cerr << "twofold: " << e.message << '\n';
    return kExitFailure;
}

// Opens the member, runs `body`, and turns any error into one line and a non-zero status.
int with_member(const Common& c, const std::function<Status(Member&)>& body) {
    if (!std::filesystem::exists(std::filesystem::path(c.home) / "member.db")) {
        return fail(Error{Errc::unknown, "no member in " + c.home + ": run `twofold init` first"});
    }
    auto passphrase =
        read_secret({c.passphrase_file, "--passphrase-file", "TWOFOLD_PASSPHRASE", "passphrase for " + c.home});
    if (!passphrase) return fail(passphrase.error());
    auto member = Member::open(c.home, *passphrase);
    if (!member) return fail(member.error());
    if (auto s = body(**member); !s) return fail(s.error());
    return kExitOk;
}

const char* kind_name(Event::Kind k) {
    switch (k) {
        case Event::Kind::message: return "message";
        case Event::Kind::notice: return "notice";
        case Event::Kind::refused: return "refused";
        case Event::Kind::missing: return "missing";
    }
    return "notice";
}

void print_event(const Event& e, bool as_json) {
    if (as_json) {
        std::cout << json{{"kind", kind_name(e.kind)}, {"group", e.group}, {"group_id", e.group_id},
                          {"sender", e.sender},        {"text", e.text},   {"rn1_generation", e.rn1_generation},
                          {"rn2_epoch", e.rn2_epoch}}
                         .dump()
                  << std::endl;
        return;
    }
    switch (e.kind) {
        case Event::Kind::message:
            std::cout << "[" << e.group << " @" << e.rn1_generation << "." << e.rn2_epoch << "] " << e.sender << ": "
                      << e.text << std::endl;
            break;
        case Event::Kind::notice: std::cout << "* " << e.group << ": " << e.text << std::endl; break;
        case Event::Kind::refused:
        case Event::Kind::missing: std::cout << "! " << e.group << ": " << e.text << std::endl; break;
    }
}

void print_group(const GroupInfo& g, bool as_json) {
    if (as_json) {
        std::cout << json{{"id", g.id},
                          {"name", g.name},
                          {"state", g.state},
                          {"rights", rights_json(g.rights)},
                          {"strict", g.strict},
                          {"rn1_generation", g.rn1_generation},
                          {"rn2_epoch", g.rn2_epoch},
                          {"membership_epoch", g.membership_epoch},
                          {"rn2_interval_seconds", g.rn2_interval_seconds},
                          {"rn1_interval_seconds", g.rn1_interval_seconds},
                          {"max_validity_seconds", g.max_validity_seconds},
                          {"valid_until", g.valid_until}}
                         .dump()
                  << '\n';
        return;
    }
    // Awaiting keys: the inviter has the acceptance and hands over RN1 at its next sync.
    const std::string state = g.state == "awaiting-keys"
                                  ? "awaiting-keys (the inviter's next sync, or its running chat, sends RN1)"
                                  : g.state;
    std::cout << (g.name.empty() ? "(unnamed)" : g.name) << "  id " << g.id.substr(0, 16) << "  " << state
              << "  epoch rn1=" << g.rn1_generation << " rn2=" << g.rn2_epoch << "  members@" << g.membership_epoch
              << "  rights " << rights_text(g.rights) << (g.strict ? "  strict" : "")
              << "  rekeys rn2 every " << validity::format_duration(g.rn2_interval_seconds) << ", rn1 every "
              << validity::format_duration(g.rn1_interval_seconds)
              << (g.max_validity_seconds != 0 ? "  max validity " + validity::format_duration(g.max_validity_seconds)
                                              : std::string())
              << (g.valid_until != 0 ? "  valid until " + validity::format_utc_time(g.valid_until) : std::string())
              << '\n';
}

// A policy period: bare seconds ("3600") or a duration ("7d", "90m").
Result<std::uint32_t> period_seconds(const std::string& option, const std::string& text) {
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() < 10) {
        return static_cast<std::uint32_t>(std::stoul(text));
    }
    auto d = validity::parse_duration(text);
    if (!d) return make_error(Errc::invalid_argument, option + ": " + d.error().message);
    if (*d > UINT32_MAX) return make_error(Errc::invalid_argument, option + ": too long");
    return static_cast<std::uint32_t>(*d);
}

// --valid-for DURATION or --valid-until TIME (UTC), as a Validity.
struct ValidityArgs {
    std::string valid_for, valid_until;
};

void add_validity_options(CLI::App& cmd, ValidityArgs& v) {
    auto* f = cmd.add_option("--valid-for", v.valid_for, "membership lasts this long from its admission (90m, 1h, 2d)");
    auto* u = cmd.add_option("--valid-until", v.valid_until, "membership ends at this UTC time (2027-01-31T18:00Z)");
    f->excludes(u);
}

Result<Validity> validity_of(const ValidityArgs& v) {
    Validity out;
    if (!v.valid_for.empty()) {
        auto d = validity::parse_duration(v.valid_for);
        if (!d) return make_error(Errc::invalid_argument, "--valid-for: " + d.error().message);
        out.for_seconds = *d;
    }
    if (!v.valid_until.empty()) {
        auto t = validity::parse_utc_time(v.valid_until);
        if (!t) return make_error(Errc::invalid_argument, "--valid-until: " + t.error().message);
        out.until_unix = *t;
    }
    return out;
}

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

// Lines typed on standard input, read without blocking, for `twofold chat`.
std::optional<std::string> next_line() {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return std::nullopt;
    std::string line;
    if (!std::getline(std::cin, line)) {
        g_stop = true;  // end of input ends the chat
        return std::nullopt;
    }
    if (line.empty()) return std::nullopt;
    return line;
}

// `recv --follow` and `chat`: events printed as they arrive until SIGINT, SIGTERM or end of input.
Status follow_until_stopped(Member& m, const std::optional<std::string>& group, bool as_json,
                            const std::function<std::optional<std::string>()>& outgoing,
                            std::chrono::milliseconds poll) {
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    Status s = m.follow(
        group, [&](const Event& e) { print_event(e, as_json); }, outgoing, [] { return g_stop.load(); }, poll);
    if (const LanStats lan = m.lan_stats(); lan.sessions > 0) {
        std::cerr << "lan: " << lan.sessions << " multicast session(s), " << lan.rekeys_received
                  << " rekey(s) received by multicast, " << lan.rekeys_applied << " of them first, " << lan.messages_sent << " message(s) sent and "
                  << lan.messages_received << " received first on the LAN\n";
    }
    return s;
}

void add_init(CLI::App& app, const std::shared_ptr<Common>& common, int* exit_status) {
    struct Args {
        InitOptions options;
        std::optional<std::string> password_file;
        std::string kdf = "interactive";
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("init", "Create this member's identity and store, and register with the GMS");
    cmd->add_option("--name", a->options.account, "account name")->required();
    cmd->add_option("--gms", a->options.gms,
                    "the GMS, HOST:PORT; several processes on one database: HOST:PORT,HOST:PORT,... (the member "
                    "follows whichever leads)")
        ->required();
    cmd->add_option("--gms-fingerprint", a->options.gms_fingerprint,
                    "the GMS's TLS fingerprint, sha256:HEX (with several --gms endpoints: one each, comma-separated, "
                    "or one they share)")
        ->required();
    cmd->add_option("--gms-key", a->options.gms_signing_key, "the GMS's signing key, HEX (twofold-gms info)")
        ->required();
    cmd->add_option("--relay", a->options.relay, "the relay: HOST:PORT for twofold-relay, mqtts://HOST:PORT for an MQTT broker with twofold-mosquitto-auth")->required();
    cmd->add_option("--relay-fingerprint", a->options.relay_fingerprint, "the relay's (or broker's) TLS certificate fingerprint")->required();
    cmd->add_option("--password-file", a->password_file, "file holding the GMS password (or TWOFOLD_PASSWORD)");
    cmd->add_option("--kdf", a->kdf,
                    "Argon2id cost of the store key: interactive (default), moderate, or minimum (tests only)")
        ->check(CLI::IsMember({"interactive", "moderate", "minimum"}));
    cmd->callback([a, common, exit_status] {
        // Everything that can be wrong without a secret is found before one is asked for.
        if (auto s = Member::check_init_options(common->home, a->options); !s) {
            *exit_status = fail(s.error());
            return;
        }
        auto password = read_secret(
            {a->password_file, "--password-file", "TWOFOLD_PASSWORD", "GMS password for " + a->options.account, true});
        if (!password) {
            *exit_status = fail(password.error());
            return;
        }
        a->options.password = *password;
        if (auto s = Member::check_init_options(common->home, a->options); !s) {
            *exit_status = fail(s.error());
            return;
        }
        auto passphrase = read_secret(
            {common->passphrase_file, "--passphrase-file", "TWOFOLD_PASSPHRASE", "passphrase for the new store", true});
        if (!passphrase) {
            *exit_status = fail(passphrase.error());
            return;
        }
        a->options.store_limits = a->kdf == "minimum"    ? crypto::PwhashLimits::minimum()
                                  : a->kdf == "moderate" ? crypto::PwhashLimits::moderate()
                                                         : crypto::PwhashLimits::interactive();
        auto member = Member::init(common->home, *passphrase, a->options);
        if (!member) {
            *exit_status = fail(member.error());
            return;
        }
        if (common->json) {
            std::cout << json{{"account", (*member)->account()}, {"fingerprint", (*member)->fingerprint()}}.dump()
                      << '\n';
        } else {
            std::cout << "registered " << (*member)->account() << "; safety number " << (*member)->fingerprint()
                      << "; next: `twofold group create NAME`, or wait for an invitation (`twofold invitations`)\n";
        }
    });
}

void add_group(CLI::App& app, const std::shared_ptr<Common>& common, int* exit_status) {
    struct Args {
        std::string name;
        GroupPolicyOptions policy;
        std::string rn1_interval, max_validity;
    };
    auto a = std::make_shared<Args>();
    CLI::App* group = app.add_subcommand("group", "Group administration");
    group->require_subcommand(1);
    CLI::App* create = group->add_subcommand("create", "Create a group; you become its first member with every right");
    create->add_option("NAME", a->name, "the group's name (enters GK; never sent to the GMS)")->required();
    create->add_option("--rn2-interval", a->policy.rn2_interval_seconds, "seconds between timed RN2 renewals");
    create->add_option("--max-members", a->policy.max_members, "member limit (0: the server's)");
    create->add_flag("--strict", a->policy.strict, "rotate RN1 on every removal");
    create->add_option("--rn1-interval", a->rn1_interval,
                       "RN1 rotation period, seconds or a duration (7d; default: the GMS's, 7 days)");
    create->add_option("--max-validity", a->max_validity,
                       "longest validity an inviter may give a membership (90m, 30d; default: no limit)");
    create->callback([a, common, exit_status] {
        *exit_status = with_member(*common, [&](Member& m) -> Status {
            if (!a->rn1_interval.empty()) {
                auto v = period_seconds("--rn1-interval", a->rn1_interval);
                if (!v) return v.error();
                a->policy.rn1_interval_seconds = *v;
            }
            if (!a->max_validity.empty()) {
                auto v = period_seconds("--max-validity", a->max_validity);
                if (!v) return v.error();
                a->policy.max_validity_seconds = *v;
            }
            auto g = m.create_group(a->name, a->policy);
            if (!g) return g.error();
            print_group(*g, common->json);
            return {};
        });
    });
}

void add_listing(CLI::App& app, const std::shared_ptr<Common>& common, int* exit_status) {
    CLI::App* groups = app.add_subcommand("groups", "List this member's groups");
    groups->callback([common, exit_status] {
        *exit_status = with_member(*common, [&](Member& m) -> Status {
            auto list = m.groups();
            if (!list) return list.error();
            for (const auto& g : *list) print_group(g, common->json);
            return {};
        });
    });

    struct MembersArgs {
        std::string group;
    };
    auto ma = std::make_shared<MembersArgs>();
    CLI::App* members = app.add_subcommand("members", "List a group's members with their rights and safety numbers");
    members->add_option("GROUP", ma->group, "group name or id")->required();
    members->callback([ma, common, exit_status] {
        *exit_status = with_member(*common, [&](Member& m) -> Status {
            auto list = m.members(ma->group);
            if (!list) return list.error();
            for (const auto& e : *list) {
                if (common->json) {
                    std::cout << json{{"account", e.account},
                                      {"fingerprint", e.fingerprint},
                                      {"rights", rights_json(e.rights)},
                                      {"valid_until", e.valid_until}}
                                     .dump()
                              << '\n';
                } else {
                    std::cout << e.account << "  " << e.fingerprint << "  " << rights_text(e.rights)
                              << (e.valid_until != 0 ? "  valid until " + validity::format_utc_time(e.valid_until)
                                                     : std::string())
                              << '\n';
                }
            }
            return {};
        });
    });

    CLI::App* invitations = app.add_subcommand("invitations", "List invitations received");
    invitations->callback([common, exit_status] {
        *exit_status = with_member(*common, [&](Member& m) -> Status {
            auto list = m.invitations();
            if (!list) return list.error();
            for (const auto& i : *list) print_invitation(i, common->json);
            return {};
        });
    });
}

// Subcommands of the form `twofold VERB ARG [ARG]`; `run` prints what happened.
void add_simple(CLI::App& app, const std::shared_ptr<Common>& common, int* exit_status, const std::string& verb,
                const std::string& help, std::vector<std::string> positional,
                std::function<Status(Member&, const std::vector<std::string>&, bool as_json)> run) {
    struct Args {
        std::vector<std::string> values;
    };
    auto a = std::make_shared<Args>();
    a->values.resize(positional.size());
    CLI::App* cmd = app.add_subcommand(verb, help);
    for (std::size_t i = 0; i < positional.size(); ++i) cmd->add_option(positional[i], a->values[i])->required();
    cmd->callback([a, common, exit_status, run] {
        *exit_status = with_member(*common, [&](Member& m) { return run(m, a->values, common->json); });
    });
}

void add_invite(CLI::App& app, const std::shared_ptr<Common>& common, int* exit_status) {
    struct Args {
        std::string group, account;
        Rights rights;
        DirectArgs direct;
        ValidityArgs validity;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("invite", "Invite an account into a group (it answers with `twofold accept`)");
    cmd->add_option("GROUP", a->group, "group name or id")->required();
    cmd->add_option("ACCOUNT", a->account, "the invitee")->required();
    cmd->add_flag("--may-invite", a->rights.may_invite, "the invitee may invite others");
    cmd->add_flag("--may-remove", a->rights.may_remove, "the invitee may remove others");
    add_direct_invite_options(*cmd, a->direct);
    add_validity_options(*cmd, a->validity);
    cmd->callback([a, common, exit_status] {
        *exit_status = with_member(*common, [&](Member& m) -> Status {
            auto validity = validity_of(a->validity);
            if (!validity) return validity.error();
            if (!a->direct.direct.empty()) {
                if (validity->until_unix != 0 || validity->for_seconds != 0) {
                    return make_error(Errc::invalid_argument, "--valid-for/--valid-until are not taken with --direct");
                }
                return invite_direct(m, a->group, a->account, a->rights, a->direct, common->json);
            }
            auto invited = m.invite(a->group, a->account, a->rights, *validity);
            if (!invited) return invited.error();
            print_invited(*invited, common->json);
            return {};
        });
    });
}

void add_extend(CLI::App& app, const std::shared_ptr<Common>& common, int* exit_status) {
    struct Args {
        std::string group, account;
        ValidityArgs validity;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd =
        app.add_subcommand("extend", "Give another member's membership a new end (needs may_invite)");
    cmd->add_option("GROUP", a->group, "group name or id")->required();
    cmd->add_option("ACCOUNT", a->account, "the member")->required();
    add_validity_options(*cmd, a->validity);
    cmd->callback([a, common, exit_status] {
        *exit_status = with_member(*common, [&](Member& m) -> Status {
            if (a->validity.valid_for.empty() && a->validity.valid_until.empty()) {
                return make_error(Errc::invalid_argument, "give --valid-for DURATION or --valid-until TIME");
            }
            auto validity = validity_of(a->validity);
            if (!validity) return validity.error();
            auto extended = m.extend(a->group, a->account, *validity);
            if (!extended) return extended.error();
            if (common->json) {
                std::cout << json{{"event", "extended"},
                                  {"group", extended->group},
                                  {"account", extended->account},
                                  {"valid_until", extended->valid_until}}
                                 .dump()
                          << '\n';
            } else {
                std::cout << "extended " << extended->account << "'s membership in «" << extended->group
                          << "» until " << validity::format_utc_time(extended->valid_until) << '\n';
            }
            return {};
        });
    });
}

void add_send(CLI::App& app, const std::shared_ptr<Common>& common, int* exit_status) {
    struct Args {
        std::string group, text;
        bool lan = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("send", "Send a message to a group (TEXT, or - for standard input)");
    cmd->add_option("GROUP", a->group, "group name or id")->required();
    cmd->add_option("TEXT", a->text, "the message, or - to read standard input")->required();
    cmd->add_flag("--lan", a->lan, "also send it to the group's multicast session on this LAN, if the GMS announced one");
    cmd->callback([a, common, exit_status] {
        if (a->text == "-") a->text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        *exit_status = with_member(*common, [&](Member& m) -> Status {
            m.set_lan_messages(a->lan);
            auto sent = m.send(a->group, a->text);
            if (!sent) return sent.error();
            print_sent(*sent, common->json);
            return {};
        });
    });
}

void add_recv(CLI::App& app, const std::shared_ptr<Common>& common, int* exit_status) {
    struct Args {
        std::optional<std::string> group;
        bool follow = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("recv", "Show messages and notices received");
    cmd->add_option("GROUP", a->group, "only this group");
    cmd->add_flag("--follow", a->follow, "keep waiting for more until interrupted");
    cmd->callback([a, common, exit_status] {
        *exit_status = with_member(*common, [&](Member& m) -> Status {
            if (!a->follow) {
                auto events = m.recv(a->group);
                if (!events) return events.error();
                for (const auto& e : *events) print_event(e, common->json);
                return {};
            }
            return follow_until_stopped(m, a->group, common->json, nullptr, std::chrono::milliseconds(200));
        });
    });
}

void add_chat(CLI::App& app, const std::shared_ptr<Common>& common, int* exit_status) {
    struct Args {
        std::string group;
        bool lan = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("chat", "Interactive: lines typed are sent, messages arrive as they happen");
    cmd->add_option("GROUP", a->group, "group name or id")->required();
    cmd->add_flag("--lan", a->lan,
                  "also send and receive messages on the group's multicast session on this LAN (keeps talking "
                  "while the relay is unreachable)");
    cmd->callback([a, common, exit_status] {
        *exit_status = with_member(*common, [&](Member& m) -> Status {
            m.set_lan_messages(a->lan);
            return follow_until_stopped(m, a->group, common->json, next_line, std::chrono::milliseconds(100));
        });
    });
}

void add_identity(CLI::App& app, const std::shared_ptr<Common>& common, int* exit_status) {
    struct Args {
        std::optional<std::string> account;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("fingerprint", "Show the safety number of your key, or of ACCOUNT's");
    cmd->add_option("ACCOUNT", a->account, "another member's account");
    cmd->callback([a, common, exit_status] {
        *exit_status = with_member(*common, [&](Member& m) -> Status {
            const std::string who = a->account.value_or(m.account());
            auto number = m.fingerprint_of(who);
            if (!number) return number.error();
            if (common->json) {
                std::cout << json{{"account", who}, {"fingerprint", *number}}.dump() << '\n';
            } else {
                std::cout << who << "  " << *number << '\n';
            }
            return {};
        });
    });
}

// `twofold keys show GROUP`: prints secrets, on purpose, for a person checking where they are not.
void add_keys_show(CLI::App& app, const std::shared_ptr<Common>& common, int* exit_status) {
    struct Args {
        std::string group;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.get_subcommand("keys")->add_subcommand(
        "show", "Print this member's current RN1 and GK of GROUP in hex (secrets: for checking only)");
    cmd->add_option("GROUP", a->group, "group name or id")->required();
    cmd->callback([a, common, exit_status] {
        *exit_status = with_member(*common, [&](Member& m) -> Status {
            auto keys = m.current_keys(a->group);
            if (!keys) return keys.error();
            if (common->json) {
                std::cout << json{{"rn1_generation", keys->rn1_generation},
                                  {"rn2_epoch", keys->rn2_epoch},
                                  {"rn1", keys->rn1_hex},
                                  {"gk", keys->gk_hex}}
                                 .dump()
                          << '\n';
            } else {
                std::cout << "epoch rn1=" << keys->rn1_generation << " rn2=" << keys->rn2_epoch << "\nRN1 "
                          << keys->rn1_hex << "\nGK  " << keys->gk_hex << '\n';
            }
            return {};
        });
    });
}

// Runs `operation` and prints its outcome with `print`.
template <typename Operation, typename Print>
Status printed(Operation operation, Print print, bool as_json) {
    auto outcome = operation();
    if (!outcome) return outcome.error();
    print(*outcome, as_json);
    return {};
}

void add_accept(CLI::App& app, const std::shared_ptr<Common>& common, int* exit_status) {
    struct Args {
        std::string which;
        DirectArgs direct;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "accept", "Accept an invitation: WHICH is the group's name, a group id prefix, or the inviter's account");
    cmd->add_option("WHICH", a->which, "group name, group id prefix, or the inviter's account")->required();
    add_direct_accept_options(*cmd, a->direct);
    cmd->callback([a, common, exit_status] {
        *exit_status = with_member(*common, [&](Member& m) -> Status {
            if (a->direct.code) return accept_direct(m, a->which, a->direct, common->json);
            return printed([&] { return m.accept(a->which); }, print_accepted, common->json);
        });
    });
}

void add_status(CLI::App& app, const std::shared_ptr<Common>& common, int* exit_status) {
    CLI::App* cmd = app.add_subcommand(
        "status", "Show the servers (reached with their pinned fingerprints), groups, invitations, deferred envelopes");
    cmd->callback([common, exit_status] {
        *exit_status = with_member(
            *common, [&](Member& m) { return printed([&] { return m.status(); }, print_status, common->json); });
    });
}

}  // namespace

void add_member_commands(CLI::App& app, int* exit_status) {
    using Values = std::vector<std::string>;
    auto common = std::make_shared<Common>();
    add_common(app, *common);
    add_keys_show(app, common, exit_status);
    add_init(app, common, exit_status);
    add_group(app, common, exit_status);
    add_listing(app, common, exit_status);
    add_invite(app, common, exit_status);
    add_extend(app, common, exit_status);
    add_accept(app, common, exit_status);
    add_send(app, common, exit_status);
    add_recv(app, common, exit_status);
    add_chat(app, common, exit_status);
    add_simple(app, common, exit_status, "remove", "Remove a member (needs may_remove)", {"GROUP", "ACCOUNT"},
               [](Member& m, const Values& v, bool as_json) {
                   return printed([&] { return m.remove(v[0], v[1]); }, print_removed, as_json);
               });
    add_simple(app, common, exit_status, "leave", "Leave a group", {"GROUP"},
               [](Member& m, const Values& v, bool as_json) {
                   return printed([&] { return m.leave(v[0]); }, print_left, as_json);
               });
    add_simple(app, common, exit_status, "rotate-rn1", "Make a new RN1 generation and seal it to every member",
               {"GROUP"}, [](Member& m, const Values& v, bool as_json) {
                   return printed([&] { return m.rotate_rn1(v[0]); }, print_rotated, as_json);
               });
    add_simple(app, common, exit_status, "verify",
               "Mark ACCOUNT's current key as verified (after comparing safety numbers)", {"ACCOUNT"},
               [](Member& m, const Values& v, bool) { return m.verify(v[0]); });
    add_simple(app, common, exit_status, "sync", "Process everything waiting at the GMS and the relay", {},
               [](Member& m, const Values&, bool as_json) {
                   return printed([&] { return m.sync(); }, print_synced, as_json);
               });
    add_status(app, common, exit_status);
    add_identity(app, common, exit_status);
}

}  // namespace twofold::cli
