// The topics the plugin allows, and nothing else:
//   twofold/v1/g/<group id, 32 hex digits>     a group's envelopes (members of the group)
//   twofold/v1/m/<identity key, 64 hex digits> a mailbox (anyone writes; only its owner reads)
//   twofold/v1/s/<group id, 32 hex digits>     where a client presents its statement (never forwarded)
// Lowercase hex only, so one group or key has exactly one topic.
#pragma once

#include <string>
#include <string_view>

#include "relay/types.h"

namespace twofold::mqtt_auth {

enum class TopicKind { group, mailbox, statement, other };

struct Topic {
    TopicKind kind = TopicKind::other;
    std::string id;  // raw bytes: the group id (16) or the identity key (32); empty for `other`
};

// `other` for anything else, wildcards included.
Topic classify_topic(std::string_view topic);

std::string group_topic(const relay::GroupId& group);
std::string mailbox_topic(const relay::MemberKey& key);
std::string statement_topic(const relay::GroupId& group);

}  // namespace twofold::mqtt_auth
