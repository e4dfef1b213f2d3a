// The plugin's memory across broker restarts: the last statement presented for each key and
// group, each group's current epoch, and which members' sessions subscribed to which group. Without it a restarted broker knows no member, so
// mosquitto's re-check of a reconnecting client's queued messages (read access, before CONNACK)
// would drop every group envelope waiting in a persistent session, and an older epoch would be
// accepted again until someone showed the current one (docs/mqtt.md "Broker restarts").
//
// SQLite (store::Database: WAL, synchronous=FULL), one transaction per change. Statements are
// public (GMS-signed, no secret); the file holds what the plugin's memory holds, nothing more.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "relay/types.h"
#include "store/database.h"

namespace twofold::mqtt_auth {

struct SavedStatement {
    relay::MemberKey member;
    relay::GroupId group;
    std::string statement;  // as presented (v1::MembershipStatement bytes)
};

class StatementStore {
  public:
    static Result<StatementStore> open(const std::filesystem::path& path);

    // One transaction: the statement (replacing the key's previous one for the group) and the raised epochs.
    Status save(const SavedStatement& statement, const std::vector<relay::GroupEpoch>& raised);
    Status save_epochs(const std::vector<relay::GroupEpoch>& raised);
    Status forget(const relay::MemberKey& member, const relay::GroupId& group);
    Status save_subscription(const relay::MemberKey& member, const relay::GroupId& group);

    Result<std::vector<relay::GroupEpoch>> epochs();
    Result<std::vector<SavedStatement>> statements();
    Result<std::vector<std::pair<relay::MemberKey, relay::GroupId>>> subscriptions();

  private:
    explicit StatementStore(store::Database db) : db_(std::move(db)) {}
    Status put_epochs(const std::vector<relay::GroupEpoch>& raised);
    store::Database db_;
};

}  // namespace twofold::mqtt_auth
