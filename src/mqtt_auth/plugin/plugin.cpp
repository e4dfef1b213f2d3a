// Entry points: mosquitto 2.0's v5 plugin API. Configured from the broker's file:
//   plugin /path/to/twofold-mosquitto-auth.so
//   plugin_opt_gms_key <the GMS's statement signing public key, 64 hex digits>
//   plugin_opt_broker_name <the name tokens must carry>
//   plugin_opt_grace_seconds <grace for a superseded epoch; default 120, as the relay>
//   plugin_opt_state_file <SQLite file for the statements and epochs seen; without it, memory only>
//   plugin_opt_retention_seconds <how long an absent member's queue is filled after its statement
//                                 expired; default 604800 (7 days), the relay's retention>
// Only a public key: the plugin holds no secret.
#include <charconv>
#include <chrono>
#include <exception>
#include <memory>
#include <string_view>

#include "crypto/hex.h"
#include "mqtt_auth/token.h"
#include "plugin.h"

namespace twofold::mqtt_auth::plugin {

namespace {

constexpr std::uint64_t kDefaultGraceSeconds = 120;

int on_acl_check(int, void* event_data, void* userdata) {
    auto& state = *static_cast<PluginState*>(userdata);
    const auto& check = *static_cast<mosquitto_evt_acl_check*>(event_data);
    try {
        switch (check.access) {
            case MOSQ_ACL_SUBSCRIBE: return on_subscribe(state, check);
            case MOSQ_ACL_READ: return on_deliver(state, check);
            case MOSQ_ACL_WRITE: return on_publish(state, check);
            case MOSQ_ACL_UNSUBSCRIBE: return MOSQ_ERR_SUCCESS;
            default: break;
        }
    } catch (const std::exception& e) {
        // An exception must not cross into the broker's C code: refuse this one request.
        mosquitto_log_printf(MOSQ_LOG_ERR, "twofold-auth: refused %s: internal error: %s",
                             describe(check.client).c_str(), e.what());
    }
    return MOSQ_ERR_ACL_DENIED;
}

struct Options {
    std::string_view gms_key, broker_name, grace_seconds, state_file, retention_seconds;
};

Options read_options(const mosquitto_opt* options, int count) {
    Options o;
    for (int i = 0; i < count; ++i) {
        const std::string_view key = options[i].key;
        if (key == "gms_key") o.gms_key = options[i].value;
        if (key == "broker_name") o.broker_name = options[i].value;
        if (key == "grace_seconds") o.grace_seconds = options[i].value;
        if (key == "state_file") o.state_file = options[i].value;
        if (key == "retention_seconds") o.retention_seconds = options[i].value;
    }
    return o;
}

// An option in whole seconds, or the default when absent.
bool read_seconds(std::string_view text, const char* name, std::uint64_t& seconds) {
    if (text.empty()) return true;
    const auto* end = text.data() + text.size();
    if (std::from_chars(text.data(), end, seconds).ptr == end) return true;
    mosquitto_log_printf(MOSQ_LOG_ERR, "twofold-auth: %s must be a number of seconds", name);
    return false;
}

// What the plugin knew before the restart: the epochs first, then each saved statement checked
// again (shape and signature); those that no longer count, even for an absent member's queue,
// are deleted. Then the subscriptions.
Status restore(PluginState& state) {
    auto epochs = state.store->epochs();
    if (!epochs) return epochs.error();
    state.policy.load_epochs(*epochs);
    auto saved = state.store->statements();
    if (!saved) return saved.error();
    std::size_t kept = 0;
    for (const auto& s : *saved) {
        if (state.policy.restore_statement(s.group, s.statement, now_ms())) {
            ++kept;
        } else if (auto f = state.store->forget(s.member, s.group); !f) {
            return f;
        }
    }
    auto subscribed = state.store->subscriptions();
    if (!subscribed) return subscribed.error();
    state.policy.load_subscriptions(*subscribed);
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "twofold-auth: restored %zu statements (%zu no longer valid, deleted)",
                         kept, saved->size() - kept);
    return {};
}

}  // namespace

std::uint64_t now_ms() {
    using namespace std::chrono;
    return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

std::optional<relay::MemberKey> client_key(mosquitto* client) {
    const char* username = mosquitto_client_username(client);
    if (!username) return std::nullopt;
    auto raw = crypto::from_hex(username, "username");
    if (!raw || raw->size() != crypto::kSignPublicKeyBytes) return std::nullopt;
    return relay::MemberKey(raw->begin(), raw->end());
}

std::string describe(mosquitto* client) {
    const char* id = mosquitto_client_id(client);
    const char* address = mosquitto_client_address(client);
    return std::string("client '") + (id ? id : "") + "' from " + (address ? address : "?");
}

}  // namespace twofold::mqtt_auth::plugin

using namespace twofold::mqtt_auth::plugin;

extern "C" {

__attribute__((visibility("default"))) int mosquitto_plugin_version(int count, const int* versions) {
    for (int i = 0; i < count; ++i) {
        if (versions[i] == 5) return 5;
    }
    return -1;
}

__attribute__((visibility("default"))) int mosquitto_plugin_init(mosquitto_plugin_id_t* id, void** userdata,
                                                                 mosquitto_opt* options, int option_count) {
    try {
        const Options o = read_options(options, option_count);
        twofold::crypto::SignPublicKey gms_key{};
        if (!twofold::crypto::from_hex(o.gms_key, gms_key, "plugin_opt_gms_key")) {
            mosquitto_log_printf(MOSQ_LOG_ERR,
                                 "twofold-auth: plugin_opt_gms_key must be the GMS public key, 64 hex digits");
            return MOSQ_ERR_INVAL;
        }
        if (!twofold::mqtt_auth::valid_broker_name(o.broker_name)) {
            mosquitto_log_printf(MOSQ_LOG_ERR, "twofold-auth: plugin_opt_broker_name must be a host name");
            return MOSQ_ERR_INVAL;
        }
        std::uint64_t grace_seconds = kDefaultGraceSeconds;
        std::uint64_t retention_seconds = twofold::mqtt_auth::kDefaultRetentionMs / 1000;
        if (!read_seconds(o.grace_seconds, "plugin_opt_grace_seconds", grace_seconds) ||
            !read_seconds(o.retention_seconds, "plugin_opt_retention_seconds", retention_seconds)) {
            return MOSQ_ERR_INVAL;
        }
        auto state = std::make_unique<PluginState>(gms_key, grace_seconds * 1000, retention_seconds * 1000,
                                                   std::string(o.broker_name));
        state->id = id;
        if (!o.state_file.empty()) {
            auto store = twofold::mqtt_auth::StatementStore::open(std::string(o.state_file));
            if (!store) {
                mosquitto_log_printf(MOSQ_LOG_ERR, "twofold-auth: plugin_opt_state_file: %s",
                                     store.error().message.c_str());
                return MOSQ_ERR_INVAL;
            }
            state->store.emplace(std::move(*store));
            if (auto s = restore(*state); !s) {
                mosquitto_log_printf(MOSQ_LOG_ERR, "twofold-auth: plugin_opt_state_file: %s", s.error().message.c_str());
                return MOSQ_ERR_INVAL;
            }
        } else {
            mosquitto_log_printf(MOSQ_LOG_WARNING,
                                 "twofold-auth: no plugin_opt_state_file: after a restart members must present "
                                 "their statements again, and messages queued for them are dropped at reconnect");
        }
        if (mosquitto_callback_register(id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr, state.get()) !=
                MOSQ_ERR_SUCCESS ||
            mosquitto_callback_register(id, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr, state.get()) !=
                MOSQ_ERR_SUCCESS ||
            mosquitto_callback_register(id, MOSQ_EVT_MESSAGE, on_message, nullptr, state.get()) != MOSQ_ERR_SUCCESS ||
            mosquitto_callback_register(id, MOSQ_EVT_DISCONNECT, on_disconnect, nullptr, state.get()) !=
                MOSQ_ERR_SUCCESS) {
            return MOSQ_ERR_UNKNOWN;
        }
        mosquitto_log_printf(MOSQ_LOG_NOTICE, "twofold-auth: loaded for broker '%s', grace %llu s, retention %llu s",
                             state->broker_name.c_str(), static_cast<unsigned long long>(grace_seconds),
                             static_cast<unsigned long long>(retention_seconds));
        *userdata = state.release();
        return MOSQ_ERR_SUCCESS;
    } catch (const std::exception& e) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "twofold-auth: cannot start: %s", e.what());
        return MOSQ_ERR_INVAL;
    }
}

__attribute__((visibility("default"))) int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*, int) {
    std::unique_ptr<PluginState> state(static_cast<PluginState*>(userdata));
    if (state) {
        mosquitto_callback_unregister(state->id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr);
        mosquitto_callback_unregister(state->id, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr);
        mosquitto_callback_unregister(state->id, MOSQ_EVT_MESSAGE, on_message, nullptr);
        mosquitto_callback_unregister(state->id, MOSQ_EVT_DISCONNECT, on_disconnect, nullptr);
    }
    return MOSQ_ERR_SUCCESS;
}

}  // extern "C"
