#include "mqtt_auth/statement_store.h"

namespace twofold::mqtt_auth {

namespace {

const std::vector<store::Migration> kMigrations = {
    {1,
     "CREATE TABLE statements (member BLOB NOT NULL, group_id BLOB NOT NULL, statement BLOB NOT NULL,"
     "                         PRIMARY KEY (member, group_id)) WITHOUT ROWID;"
     "CREATE TABLE epochs (group_id BLOB PRIMARY KEY, epoch INTEGER NOT NULL, first_seen_ms INTEGER NOT NULL)"
     "                     WITHOUT ROWID;"},
    // The members whose own session subscribed to a group: the plugin stops copying the group's
    // publications into it (plugin/on_message.cpp).
    {2, "CREATE TABLE subscribed (member BLOB NOT NULL, group_id BLOB NOT NULL, PRIMARY KEY (member, group_id))"
        " WITHOUT ROWID;"},
};

// Runs `change` in one transaction; rolls back if it fails.
template <class F>
Status in_transaction(store::Database& db, F change) {
    if (auto s = db.begin(); !s) return s;
    if (auto s = change(); !s) {
        (void)db.rollback();
        return s;
    }
    return db.commit();
}

}  // namespace

Result<StatementStore> StatementStore::open(const std::filesystem::path& path) {
    auto db = store::Database::open(path, kMigrations);
    if (!db) return db.error();
    return StatementStore(std::move(*db));
}

Status StatementStore::put_epochs(const std::vector<relay::GroupEpoch>& raised) {
    for (const auto& e : raised) {
        auto put = db_.prepare(
            "INSERT INTO epochs (group_id, epoch, first_seen_ms) VALUES (?1, ?2, ?3)"
            " ON CONFLICT (group_id) DO UPDATE SET epoch = ?2, first_seen_ms = ?3 WHERE epoch < ?2");
        if (!put) return put.error();
        put->bind(1, as_bytes(e.group))
            .bind(2, static_cast<std::int64_t>(e.epoch))
            .bind(3, static_cast<std::int64_t>(e.first_seen_ms));
        if (auto s = put->run(); !s) return s;
    }
    return {};
}

Status StatementStore::save(const SavedStatement& statement, const std::vector<relay::GroupEpoch>& raised) {
    return in_transaction(db_, [&]() -> Status {
        auto put = db_.prepare(
            "INSERT INTO statements (member, group_id, statement) VALUES (?1, ?2, ?3)"
            " ON CONFLICT (member, group_id) DO UPDATE SET statement = ?3");
        if (!put) return put.error();
        put->bind(1, as_bytes(statement.member)).bind(2, as_bytes(statement.group)).bind(3, as_bytes(statement.statement));
        if (auto s = put->run(); !s) return s;
        return put_epochs(raised);
    });
}

Status StatementStore::save_epochs(const std::vector<relay::GroupEpoch>& raised) {
    if (raised.empty()) return {};
    return in_transaction(db_, [&] { return put_epochs(raised); });
}

Status StatementStore::forget(const relay::MemberKey& member, const relay::GroupId& group) {
    auto del = db_.prepare("DELETE FROM statements WHERE member = ?1 AND group_id = ?2");
    if (!del) return del.error();
    del->bind(1, as_bytes(member)).bind(2, as_bytes(group));
    return del->run();
}

Status StatementStore::save_subscription(const relay::MemberKey& member, const relay::GroupId& group) {
    auto put = db_.prepare("INSERT OR IGNORE INTO subscribed (member, group_id) VALUES (?1, ?2)");
    if (!put) return put.error();
    put->bind(1, as_bytes(member)).bind(2, as_bytes(group));
    return put->run();
}

Result<std::vector<std::pair<relay::MemberKey, relay::GroupId>>> StatementStore::subscriptions() {
    auto q = db_.prepare("SELECT member, group_id FROM subscribed");
    if (!q) return q.error();
    std::vector<std::pair<relay::MemberKey, relay::GroupId>> out;
    for (;;) {
        auto row = q->step();
        if (!row) return row.error();
        if (!*row) return out;
        const Bytes member = q->column_blob(0), group = q->column_blob(1);
        out.emplace_back(relay::MemberKey(member.begin(), member.end()), relay::GroupId(group.begin(), group.end()));
    }
}

Result<std::vector<relay::GroupEpoch>> StatementStore::epochs() {
    auto q = db_.prepare("SELECT group_id, epoch, first_seen_ms FROM epochs");
    if (!q) return q.error();
    std::vector<relay::GroupEpoch> out;
    for (;;) {
        auto row = q->step();
        if (!row) return row.error();
        if (!*row) return out;
        const Bytes group = q->column_blob(0);
        out.push_back({relay::GroupId(group.begin(), group.end()), static_cast<std::uint64_t>(q->column_int(1)),
                       static_cast<std::uint64_t>(q->column_int(2))});
    }
}

Result<std::vector<SavedStatement>> StatementStore::statements() {
    auto q = db_.prepare("SELECT member, group_id, statement FROM statements");
    if (!q) return q.error();
    std::vector<SavedStatement> out;
    for (;;) {
        auto row = q->step();
        if (!row) return row.error();
        if (!*row) return out;
        const Bytes member = q->column_blob(0), group = q->column_blob(1), statement = q->column_blob(2);
        out.push_back({relay::MemberKey(member.begin(), member.end()), relay::GroupId(group.begin(), group.end()),
                       std::string(statement.begin(), statement.end())});
    }
}

}  // namespace twofold::mqtt_auth
