#include "member_client/records.h"

#include <charconv>

#include "crypto/hex.h"

namespace twofold::member_client {

namespace {

std::string numbered(const std::string& gid_hex, std::uint64_t n) { return gid_hex + ":" + std::to_string(n); }

std::optional<std::uint64_t> number_after(const std::string& name, const std::string& prefix) {
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    std::uint64_t n = 0;
    const char* first = name.data() + prefix.size();
    const char* last = name.data() + name.size();
    auto [end, ec] = std::from_chars(first, last, n);
    if (ec != std::errc{} || end != last) return std::nullopt;
    return n;
}

// Erases every record of `kind` named "GID:N".
Status erase_numbered(member_store::Vault& vault, std::string_view kind, const std::string& gid_hex) {
    auto names = vault.names(kind);
    if (!names) return names.error();
    for (const auto& name : *names) {
        if (number_after(name, gid_hex + ":")) {
            if (auto s = vault.erase(kind, name); !s) return s;
        }
    }
    return {};
}

}  // namespace

Status put_message(member_store::Vault& vault, std::string_view kind, std::string_view name,
                   const google::protobuf::MessageLite& message) {
    std::string bytes;
    if (!message.SerializeToString(&bytes)) return make_error(Errc::internal, "cannot serialise a local record");
    return vault.put(kind, name, as_bytes(bytes));
}

Result<bool> get_message(member_store::Vault& vault, std::string_view kind, std::string_view name,
                         google::protobuf::MessageLite& out) {
    auto value = vault.get(kind, name);
    if (!value) return value.error();
    if (!*value) return false;
    const ByteView bytes = (*value)->span();
    if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return make_error(Errc::malformed,
                          "local record " + std::string(kind) + "/" + std::string(name) + " does not parse");
    }
    return true;
}

Status save_group_keys(member_store::Vault& vault, const std::string& gid_hex, const member::GroupKeys& keys) {
    if (auto s = erase_numbered(vault, "rn1", gid_hex); !s) return s;
    if (auto s = erase_numbered(vault, "rn2", gid_hex); !s) return s;
    for (const auto& [generation, rn1] : keys.rn1s()) {
        if (auto s = vault.put("rn1", numbered(gid_hex, generation), rn1.span()); !s) return s;
    }
    for (const auto& [epoch, rn2] : keys.old_rn2s()) {
        if (keys.path() && epoch == keys.path()->epoch()) continue;  // the path holds it
        if (auto s = vault.put("rn2", numbered(gid_hex, epoch), rn2.span()); !s) return s;
    }
    if (keys.path()) {
        const crypto::SecretBuffer path = keys.path()->serialise();
        if (auto s = vault.put("path", gid_hex, path.span()); !s) return s;
    }
    return {};
}

Result<std::optional<member::GroupKeys>> load_group_keys(member_store::Vault& vault, const v1::LocalGroup& group) {
    if (group.name().empty()) return std::optional<member::GroupKeys>{};
    auto name = crypto::GroupName::parse(group.name());
    if (!name) return name.error();
    const std::string gid_hex = crypto::to_hex(as_bytes(group.group_id()));
    std::optional<member::GroupKeys> keys(std::in_place, std::move(*name));

    auto path = vault.get("path", gid_hex);
    if (!path) return path.error();
    if (*path) {
        auto state = lkh::MemberState::parse((*path)->span());
        if (!state) return state.error();
        if (auto s = keys->set_path(std::move(*state)); !s) return s.error();
    }
    for (std::string_view kind : {"rn1", "rn2"}) {
        auto names = vault.names(kind);
        if (!names) return names.error();
        for (const auto& record : *names) {
            const auto n = number_after(record, gid_hex + ":");
            if (!n) continue;
            auto value = vault.get(kind, record);
            if (!value) return value.error();
            if (!*value || (*value)->size() != crypto::kRn1Bytes) {
                return make_error(Errc::malformed, "local record " + std::string(kind) + "/" + record + " is damaged");
            }
            const auto bytes = (*value)->span().first<crypto::kRn1Bytes>();
            if (kind == "rn1") {
                if (auto s = keys->add_rn1(*n, crypto::Rn1::copy_of(bytes)); !s) return s.error();
            } else {
                keys->restore_rn2(*n, crypto::Rn2::copy_of(bytes));
            }
        }
    }
    return keys;
}

Status erase_group_keys(member_store::Vault& vault, const std::string& gid_hex) {
    if (auto s = erase_numbered(vault, "rn1", gid_hex); !s) return s;
    if (auto s = erase_numbered(vault, "rn2", gid_hex); !s) return s;
    return vault.erase("path", gid_hex);
}

}  // namespace twofold::member_client
