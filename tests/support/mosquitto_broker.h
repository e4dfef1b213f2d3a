// The real mosquitto with twofold-mosquitto-auth.so for tests: proc::MosquittoServer
// (src/proc/mosquitto_server.h: its own directory, TLS listener, persistence, killed and removed
// with the object) with the plugin this build made and, under the sanitizers, their runtime.
//
// #include "support/mosquitto_broker.h" and link `twofold_test_mosquitto_broker`
// (tests/support/CMakeLists.txt): it knows where the plugin and the sanitizer runtime are, and
// builds the plugin first.
#pragma once

#include "proc/mosquitto_server.h"

namespace twofold::testing {

struct MosquittoOptions {
    std::string gms_key_hex;                // plugin_opt_gms_key, written as given (bad configs too)
    std::string broker_name = "broker.test";  // plugin_opt_broker_name: what tokens must name
    bool plugin = true;                     // false: mosquitto alone, anonymous clients allowed
    bool persistence = true;                // persistence true, saved at each change and on stop
    bool plugin_state = true;               // plugin_opt_state_file in the directory (kept across restarts)
    unsigned grace_seconds = 1;             // plugin_opt_grace_seconds
    std::size_t message_size_limit = 4096;  // mosquitto drops larger PUBLISHes itself
    std::vector<std::string> extra_config;  // more mosquitto.conf lines, appended as they are
};

proc::MosquittoServer::Options server_options(const MosquittoOptions& o);

class MosquittoBroker : public proc::MosquittoServer {
  public:
    explicit MosquittoBroker(const MosquittoOptions& options) : proc::MosquittoServer(server_options(options)) {}
};

}  // namespace twofold::testing
