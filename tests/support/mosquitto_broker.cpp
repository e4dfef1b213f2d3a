#include "support/mosquitto_broker.h"

namespace twofold::testing {

proc::MosquittoServer::Options server_options(const MosquittoOptions& o) {
    proc::MosquittoServer::Options s;
    if (o.plugin) {
        s.plugin = TWOFOLD_MQTT_PLUGIN;
        s.sanitizer_runtime = TWOFOLD_SANITIZER_RUNTIME;
    }
    s.gms_key_hex = o.gms_key_hex;
    s.broker_name = o.broker_name;
    s.plugin_state = o.plugin_state;
    s.grace_seconds = o.grace_seconds;
    s.persistence = o.persistence;
    s.message_size_limit = o.message_size_limit;
    s.extra_config = o.extra_config;
    return s;
}

}  // namespace twofold::testing
