// twofold-mosquitto-auth.so: the plugin's shared pieces. One file per decision —
// on_connect.cpp (the token), on_subscribe.cpp (subscriptions and each delivery),
// on_publish.cpp (publications and statements) — all deciding through mqtt_auth::AccessPolicy.
#pragma once

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include <cstdint>
#include <optional>
#include <string>

#include "mqtt_auth/access_policy.h"
#include "mqtt_auth/statement_store.h"

namespace twofold::mqtt_auth::plugin {

// Everything the plugin knows; mosquitto calls plugins from its one main thread, so no lock.
struct PluginState {
    PluginState(crypto::SignPublicKey gms_key, std::uint64_t grace_ms, std::string broker)
        : policy(gms_key, grace_ms), broker_name(std::move(broker)) {}
    AccessPolicy policy;
    std::optional<StatementStore> store;  // plugin_opt_state_file; without it, memory only
    std::string broker_name;
    mosquitto_plugin_id_t* id = nullptr;
};

std::uint64_t now_ms();

// The identity key the client logged in with (its username, checked by on_basic_auth), raw.
std::optional<relay::MemberKey> client_key(mosquitto* client);

// "client <id> from <address>": what the log lines name (never keys' secrets or payload bytes).
std::string describe(mosquitto* client);

int on_basic_auth(int event, void* event_data, void* userdata);
int on_subscribe(PluginState& state, const mosquitto_evt_acl_check& check);
int on_deliver(PluginState& state, const mosquitto_evt_acl_check& check);
int on_publish(PluginState& state, const mosquitto_evt_acl_check& check);

}  // namespace twofold::mqtt_auth::plugin
