// Who may subscribe to a topic, and receive each message on it. mosquitto asks again (read
// access) before every delivery, so a statement that expired or was superseded stops an existing
// subscription at the next message; for an absent member's session it asks when it queues
// (AccessPolicy::may_queue) and again when the member is back (may_receive).
#include <cstring>

#include "mqtt_auth/envelope_stamp.h"
#include "mqtt_auth/topics.h"
#include "plugin.h"

namespace twofold::mqtt_auth::plugin {

namespace {

int decide(const char* what, const Status& decision, const mosquitto_evt_acl_check& check) {
    if (decision) return MOSQ_ERR_SUCCESS;
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "twofold-auth: refused %s of '%s' to %s: %s", what, check.topic,
                         describe(check.client).c_str(), decision.error().message.c_str());
    return MOSQ_ERR_ACL_DENIED;
}

}  // namespace

int on_subscribe(PluginState& state, const mosquitto_evt_acl_check& check) {
    const auto key = client_key(check.client);
    if (!key) return decide("subscription", make_error(Errc::forbidden, "not logged in with a key"), check);
    const Status allowed = state.policy.may_subscribe(*key, check.topic, now_ms());
    const Topic topic = classify_topic(check.topic);
    // The member's own session (client id = the key, on_connect.cpp) subscribed: the plugin's
    // copies for it end (on_message.cpp). Saved, so a restart does not start them again.
    const char* id = mosquitto_client_id(check.client);
    const char* username = mosquitto_client_username(check.client);
    if (allowed && topic.kind == TopicKind::group && id && username && std::strcmp(id, username) == 0 &&
        state.policy.note_subscribed(*key, topic.id) && state.store) {
        if (auto s = state.store->save_subscription(*key, topic.id); !s) {
            mosquitto_log_printf(MOSQ_LOG_ERR, "twofold-auth: subscription of %s not saved: %s",
                                 describe(check.client).c_str(), s.error().message.c_str());
        }
    }
    return decide("subscription", allowed, check);
}

int on_deliver(PluginState& state, const mosquitto_evt_acl_check& check) {
    const auto key = client_key(check.client);
    if (!key) return decide("delivery", make_error(Errc::forbidden, "not logged in with a key"), check);
    const bool group = classify_topic(check.topic).kind == TopicKind::group;
    const auto stamp = group ? stamp_of(std::string_view(static_cast<const char*>(check.payload), check.payloadlen))
                             : std::nullopt;
    if (state.connected.contains(check.client)) {
        return decide("delivery", state.policy.may_receive(*key, check.topic, stamp, now_ms()), check);
    }
    return decide("queueing", state.policy.may_queue(*key, check.topic, stamp, now_ms()), check);
}

}  // namespace twofold::mqtt_auth::plugin
