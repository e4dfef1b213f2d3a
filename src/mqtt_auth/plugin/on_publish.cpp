// Who may publish: group topics with a valid statement (an envelope for that group, which
// on_message.cpp stamps), any mailbox, never retained. A publication on a statement topic presents
// a statement: checked, recorded for the key it names, never forwarded.
#include "mqtt_auth/envelope_stamp.h"
#include "mqtt_auth/topics.h"
#include "plugin.h"

namespace twofold::mqtt_auth::plugin {

namespace {

int present(PluginState& state, const Topic& topic, const mosquitto_evt_acl_check& check) {
    const std::string_view payload(static_cast<const char*>(check.payload), check.payloadlen);
    Recorded recorded;
    if (auto s = state.policy.present_statement(topic.id, payload, now_ms(), &recorded); !s) {
        mosquitto_log_printf(MOSQ_LOG_NOTICE, "twofold-auth: refused statement on '%s' from %s: %s", check.topic,
                             describe(check.client).c_str(), s.error().message.c_str());
        return MOSQ_ERR_ACL_DENIED;
    }
    mosquitto_log_printf(MOSQ_LOG_INFO, "twofold-auth: recorded statement on '%s' from %s", check.topic,
                         describe(check.client).c_str());
    if (state.store) {
        // Saved before the PUBACK goes out: a member whose next SUBSCRIBE is granted is known
        // after a restart too. A failure costs only that: the member presents it again then.
        Status saved = recorded.statement_changed
                           ? state.store->save({recorded.member, topic.id, std::string(payload)}, recorded.raised)
                           : state.store->save_epochs(recorded.raised);
        if (!saved) {
            mosquitto_log_printf(MOSQ_LOG_ERR, "twofold-auth: statement from %s not saved: %s",
                                 describe(check.client).c_str(), saved.error().message.c_str());
        }
    }
    return MOSQ_ERR_ACL_DENIED;  // recorded or not, a statement goes nowhere
}

}  // namespace

int on_publish(PluginState& state, const mosquitto_evt_acl_check& check) {
    const auto key = client_key(check.client);
    if (!key) return MOSQ_ERR_ACL_DENIED;
    const Topic topic = classify_topic(check.topic);
    if (topic.kind == TopicKind::statement) return present(state, topic, check);
    // A retained message would be handed to every later subscriber, member or not yet: the
    // broker would become a store of old ciphertext (and mailboxes a place to park spam).
    if (check.retain) {
        mosquitto_log_printf(MOSQ_LOG_NOTICE, "twofold-auth: refused retained publication on '%s' from %s", check.topic,
                             describe(check.client).c_str());
        return MOSQ_ERR_ACL_DENIED;
    }
    if (auto s = state.policy.may_publish(*key, check.topic, now_ms()); !s) {
        mosquitto_log_printf(MOSQ_LOG_NOTICE, "twofold-auth: refused publication of %u bytes on '%s' from %s: %s",
                             check.payloadlen, check.topic, describe(check.client).c_str(), s.error().message.c_str());
        return MOSQ_ERR_ACL_DENIED;
    }
    if (topic.kind == TopicKind::group) {
        const std::string_view payload(static_cast<const char*>(check.payload), check.payloadlen);
        if (auto s = check_group_envelope(payload, topic.id); !s) {
            mosquitto_log_printf(MOSQ_LOG_NOTICE, "twofold-auth: refused publication of %u bytes on '%s' from %s: %s",
                                 check.payloadlen, check.topic, describe(check.client).c_str(),
                                 s.error().message.c_str());
            return MOSQ_ERR_ACL_DENIED;
        }
    }
    return MOSQ_ERR_SUCCESS;
}

}  // namespace twofold::mqtt_auth::plugin
