// Who may connect: a client whose username is its identity key in hex and whose password is a
// token signed by that key for this broker, still fresh (mqtt_auth/token.h), and whose client id
// is that key too (optionally "-" and a suffix).
//
// Why the client id: mosquitto keys persistent sessions by client id alone. Were any id allowed,
// anyone logged in could take a member's id, with clean start discard the messages queued for it,
// or keep the session open so the member is cut off at each reconnect. (Reading them is already
// refused: mosquitto re-checks read access of a taken-over session's queue under the new login.)
#include <string_view>

#include "mqtt_auth/token.h"
#include "plugin.h"

namespace twofold::mqtt_auth::plugin {

namespace {

bool client_id_is_the_key(std::string_view id, std::string_view username) {
    if (!id.starts_with(username)) return false;
    id.remove_prefix(username.size());
    return id.empty() || (id.size() > 1 && id.front() == '-');
}

}  // namespace

int on_basic_auth(int, void* event_data, void* userdata) {
    auto& state = *static_cast<PluginState*>(userdata);
    const auto& auth = *static_cast<mosquitto_evt_basic_auth*>(event_data);
    if (!auth.username || !auth.password) {
        mosquitto_log_printf(MOSQ_LOG_WARNING, "twofold-auth: refused connection of %s: no username or password",
                             describe(auth.client).c_str());
        return MOSQ_ERR_AUTH;
    }
    try {
        auto identity = verify_login(auth.username, auth.password, state.broker_name, now_ms() / 1000);
        if (!identity) {
            mosquitto_log_printf(MOSQ_LOG_WARNING, "twofold-auth: refused connection of %s: %s",
                                 describe(auth.client).c_str(), identity.error().message.c_str());
            return MOSQ_ERR_AUTH;
        }
        const char* id = mosquitto_client_id(auth.client);
        if (!id || !client_id_is_the_key(id, auth.username)) {
            mosquitto_log_printf(MOSQ_LOG_WARNING,
                                 "twofold-auth: refused connection of %s: client id is not the username "
                                 "(the identity key, optionally followed by '-' and a suffix)",
                                 describe(auth.client).c_str());
            return MOSQ_ERR_AUTH;
        }
    } catch (const std::exception& e) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "twofold-auth: refused connection of %s: internal error: %s",
                             describe(auth.client).c_str(), e.what());
        return MOSQ_ERR_AUTH;
    }
    mosquitto_log_printf(MOSQ_LOG_INFO, "twofold-auth: accepted %s as %s", describe(auth.client).c_str(),
                         auth.username);
    note_connected(state, auth.client);
    return MOSQ_ERR_SUCCESS;
}

}  // namespace twofold::mqtt_auth::plugin
