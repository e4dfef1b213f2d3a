// A group publication the plugin let through (on_publish.cpp), before mosquitto stores and fans
// it out: it gets the broker's stamp (the epoch of the publisher's statement, envelope_stamp.h),
// and a copy goes into the session of every member admitted to the group whose session has not
// subscribed to it yet — mosquitto queues a publication only for sessions subscribed when it
// arrives, so without the copy a joiner would lose what was sent between its admission and its
// first subscription (docs/mqtt.md "A joiner's first messages").
#include "crypto/hex.h"
#include "mqtt_auth/envelope_stamp.h"
#include "mqtt_auth/topics.h"
#include "plugin.h"

namespace twofold::mqtt_auth::plugin {

namespace {

// The broker frees the payload it had and keeps ours: mosquitto's allocator, NUL-terminated as
// the broker keeps every payload.
void replace_payload(mosquitto_evt_message& message, const std::string& bytes) {
    auto* out = static_cast<char*>(mosquitto_malloc(bytes.size() + 1));
    if (out == nullptr) throw std::bad_alloc();
    std::copy(bytes.begin(), bytes.end(), out);
    out[bytes.size()] = '\0';
    message.payload = out;
    message.payloadlen = static_cast<std::uint32_t>(bytes.size());
}

// Not to the publisher: what it sent it has (twofold-relay's fan-out skips the sender too).
void copy_to_joiners(PluginState& state, const relay::MemberKey& publisher, const Topic& topic, const char* topic_name,
                     const std::string& bytes, std::uint64_t epoch) {
    const std::uint64_t now = now_ms();
    for (const auto& member : state.policy.awaiting_subscription(topic.id, epoch, now)) {
        if (member == publisher) continue;
        const std::string client_id = crypto::to_hex(as_bytes(member));
        // Handed to a connected session at once, unchecked: only with a statement good now. An
        // absent one is checked when it reconnects (may_receive).
        if (state.connected_ids.contains(client_id) && !state.policy.may_receive(member, topic_name, epoch, now)) {
            continue;
        }
        // QoS 1, not retained; to that client id only (mosquitto_broker_publish inserts into the
        // session directly, whatever it subscribed to).
        const int rc = mosquitto_broker_publish_copy(client_id.c_str(), topic_name, static_cast<int>(bytes.size()),
                                                     bytes.data(), 1, false, nullptr);
        if (rc != MOSQ_ERR_SUCCESS) {
            mosquitto_log_printf(MOSQ_LOG_ERR, "twofold-auth: copy of a publication on '%s' for client '%s' failed: %s",
                                 topic_name, client_id.c_str(), mosquitto_strerror(rc));
        }
    }
}

}  // namespace

int on_message(int, void* event_data, void* userdata) {
    auto& state = *static_cast<PluginState*>(userdata);
    auto& message = *static_cast<mosquitto_evt_message*>(event_data);
    const Topic topic = classify_topic(message.topic);
    if (topic.kind != TopicKind::group) return MOSQ_ERR_SUCCESS;
    try {
        const auto key = client_key(message.client);
        const auto epoch = key ? state.policy.publisher_epoch(*key, topic.id) : std::nullopt;
        if (!epoch) {  // on_publish let it through, so this cannot happen; refuse rather than guess
            mosquitto_log_printf(MOSQ_LOG_ERR, "twofold-auth: refused publication on '%s' from %s: no statement to stamp",
                                 message.topic, describe(message.client).c_str());
            return MOSQ_ERR_ACL_DENIED;
        }
        const std::string bytes =
            stamped(std::string_view(static_cast<const char*>(message.payload), message.payloadlen), *epoch);
        replace_payload(message, bytes);
        copy_to_joiners(state, *key, topic, message.topic, bytes, *epoch);
    } catch (const std::exception& e) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "twofold-auth: refused publication on '%s' from %s: internal error: %s",
                             message.topic, describe(message.client).c_str(), e.what());
        return MOSQ_ERR_ACL_DENIED;
    }
    return MOSQ_ERR_SUCCESS;
}

}  // namespace twofold::mqtt_auth::plugin
