// Who may subscribe to a topic, and receive each message on it. mosquitto asks again (read
// access) before every delivery, so a statement that expired or was superseded stops an existing
// subscription at the next message.
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
    return decide("subscription", state.policy.may_subscribe(*key, check.topic, now_ms()), check);
}

int on_deliver(PluginState& state, const mosquitto_evt_acl_check& check) {
    const auto key = client_key(check.client);
    if (!key) return decide("delivery", make_error(Errc::forbidden, "not logged in with a key"), check);
    return decide("delivery", state.policy.may_receive(*key, check.topic, now_ms()), check);
}

}  // namespace twofold::mqtt_auth::plugin
