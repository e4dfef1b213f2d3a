// twofold-mosquitto-auth.so: the plugin's shared pieces. One file per decision —
// on_connect.cpp (the token), on_subscribe.cpp (subscriptions and each delivery),
// on_publish.cpp (publications and statements), on_message.cpp (the epoch stamp and the copies
// for joiners), sessions.cpp (which clients are connected) — all deciding through
// mqtt_auth::AccessPolicy.
#pragma once

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "mqtt_auth/access_policy.h"
#include "mqtt_auth/statement_store.h"

namespace twofold::mqtt_auth::plugin {

// Everything the plugin knows; mosquitto calls plugins from its one main thread, so no lock.
struct PluginState {
    PluginState(crypto::SignPublicKey gms_key, std::uint64_t grace_ms, std::uint64_t retention_ms, std::string broker)
        : policy(gms_key, grace_ms, retention_ms), broker_name(std::move(broker)) {}
    AccessPolicy policy;
    std::optional<StatementStore> store;  // plugin_opt_state_file; without it, memory only
    std::string broker_name;
    mosquitto_plugin_id_t* id = nullptr;
    // Clients logged in now (from the login to the disconnect), by context and by client id: a
    // read check for any other context is mosquitto filling an absent member's session.
    std::set<const mosquitto*> connected;
    std::map<std::string, int> connected_ids;  // a takeover logs in before the old one leaves
};

std::uint64_t now_ms();

// The identity key the client logged in with (its username, checked by on_basic_auth), raw.
std::optional<relay::MemberKey> client_key(mosquitto* client);

// "client <id> from <address>": what the log lines name (never keys' secrets or payload bytes).
std::string describe(mosquitto* client);

int on_basic_auth(int event, void* event_data, void* userdata);
int on_disconnect(int event, void* event_data, void* userdata);
int on_message(int event, void* event_data, void* userdata);
void note_connected(PluginState& state, mosquitto* client);
int on_subscribe(PluginState& state, const mosquitto_evt_acl_check& check);
int on_deliver(PluginState& state, const mosquitto_evt_acl_check& check);
int on_publish(PluginState& state, const mosquitto_evt_acl_check& check);

}  // namespace twofold::mqtt_auth::plugin
