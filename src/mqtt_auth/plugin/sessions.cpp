// Which clients are connected. mosquitto asks the same read check when it hands a message to a
// connected client, when it queues one in an absent member's session, and when that member
// reconnects; only the middle one may judge by a statement that has expired while the member
// was away (AccessPolicy::may_queue). A context is connected from its accepted login to its
// disconnect event; a restored or absent session's context never logged in since.
#include "plugin.h"

namespace twofold::mqtt_auth::plugin {

void note_connected(PluginState& state, mosquitto* client) {
    if (!state.connected.insert(client).second) return;
    if (const char* id = mosquitto_client_id(client)) ++state.connected_ids[id];
}

int on_disconnect(int, void* event_data, void* userdata) {
    auto& state = *static_cast<PluginState*>(userdata);
    const auto& event = *static_cast<mosquitto_evt_disconnect*>(event_data);
    if (state.connected.erase(event.client) == 0) return MOSQ_ERR_SUCCESS;
    if (const char* id = mosquitto_client_id(event.client)) {
        auto it = state.connected_ids.find(id);
        if (it != state.connected_ids.end() && --it->second <= 0) state.connected_ids.erase(it);
    }
    return MOSQ_ERR_SUCCESS;
}

}  // namespace twofold::mqtt_auth::plugin
