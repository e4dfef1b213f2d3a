#include "keys_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "crypto/gk.h"
#include "crypto/hex.h"
#include "crypto/secret.h"
#include "common/command_line.h"

namespace twofold::cli {

using apps::kExitOk;
using apps::kExitUsage;

namespace {

struct GkArguments {
    std::string rn1_hex;
    std::string rn2_hex;
    std::string group;
};

int run_keys_gk(GkArguments& args) {
    crypto::Rn1 rn1;
    crypto::Rn2 rn2;
    const Status rn1_ok = crypto::from_hex(args.rn1_hex, rn1.mutable_span(), "--rn1");
    crypto::wipe(as_writable_bytes(args.rn1_hex));
    const Status rn2_ok = crypto::from_hex(args.rn2_hex, rn2.mutable_span(), "--rn2");
    crypto::wipe(as_writable_bytes(args.rn2_hex));
    for (const Status* s : {&rn1_ok, &rn2_ok}) {
        if (!*s) {
            std::cerr << "twofold: " << s->error().message << '\n';
            return kExitUsage;
        }
    }
    auto name = crypto::GroupName::parse(args.group);
    if (!name) {
        std::cerr << "twofold: --group: " << name.error().message << '\n';
        return kExitUsage;
    }
    const crypto::GroupKey gk = crypto::derive_group_key(rn1, rn2, *name);
    // The one place a key is printed: this command exists to show GK to the person who asked.
    std::cout << crypto::to_hex(gk.span()) << '\n';
    return kExitOk;
}

}  // namespace

void add_keys_command(CLI::App& app, int* exit_status) {
    CLI::App* keys = app.add_subcommand("keys", "Offline key computations");
    keys->require_subcommand(1);

    auto args = std::make_shared<GkArguments>();
    CLI::App* gk = keys->add_subcommand(
        "gk", "Print GK = SHA-256(RN1 || RN2 || GroupName) as 64 lowercase hex digits. "
              "Arguments are visible to other local users; use only for checking.");
    gk->add_option("--rn1", args->rn1_hex, "RN1, 64 hex digits")->required();
    gk->add_option("--rn2", args->rn2_hex, "RN2, 64 hex digits")->required();
    gk->add_option("--group", args->group, "group name, 1-255 bytes of UTF-8")->required();
    gk->callback([args, exit_status] { *exit_status = run_keys_gk(*args); });
}

}  // namespace twofold::cli
