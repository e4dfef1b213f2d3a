#include "mqtt_auth/topics.h"

#include <algorithm>

#include "crypto/hex.h"

namespace twofold::mqtt_auth {

namespace {

constexpr std::string_view kGroupPrefix = "twofold/v1/g/";
constexpr std::string_view kMailboxPrefix = "twofold/v1/m/";
constexpr std::string_view kStatementPrefix = "twofold/v1/s/";
constexpr std::size_t kGroupIdBytes = 16;
constexpr std::size_t kIdentityKeyBytes = 32;

bool lowercase_hex(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The raw id after `prefix`, or "" if the rest is not exactly `bytes` bytes of lowercase hex.
std::string id_after(std::string_view topic, std::string_view prefix, std::size_t bytes) {
    if (!topic.starts_with(prefix)) return {};
    const auto hex = topic.substr(prefix.size());
    if (hex.size() != 2 * bytes || !lowercase_hex(hex)) return {};
    auto raw = crypto::from_hex(hex, "topic id");
    if (!raw) return {};
    return std::string(raw->begin(), raw->end());
}

}  // namespace

Topic classify_topic(std::string_view topic) {
    if (auto id = id_after(topic, kGroupPrefix, kGroupIdBytes); !id.empty()) return {TopicKind::group, id};
    if (auto id = id_after(topic, kMailboxPrefix, kIdentityKeyBytes); !id.empty()) return {TopicKind::mailbox, id};
    if (auto id = id_after(topic, kStatementPrefix, kGroupIdBytes); !id.empty()) return {TopicKind::statement, id};
    return {};
}

std::string group_topic(const relay::GroupId& group) {
    return std::string(kGroupPrefix) + crypto::to_hex(as_bytes(group));
}

std::string mailbox_topic(const relay::MemberKey& key) {
    return std::string(kMailboxPrefix) + crypto::to_hex(as_bytes(key));
}

std::string statement_topic(const relay::GroupId& group) {
    return std::string(kStatementPrefix) + crypto::to_hex(as_bytes(group));
}

}  // namespace twofold::mqtt_auth
