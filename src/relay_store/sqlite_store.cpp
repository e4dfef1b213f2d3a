#include "relay_store/sqlite_store.h"

#include <map>
#include <optional>

namespace twofold::relay {

namespace {

const std::vector<store::Migration> kMigrations = {
    {1, R"sql(
CREATE TABLE envelopes(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type INTEGER NOT NULL,
  sender BLOB NOT NULL,
  recipient BLOB,
  group_id BLOB,
  payload BLOB NOT NULL,
  expires_ms INTEGER NOT NULL);
CREATE INDEX envelopes_by_expiry ON envelopes(expires_ms);
CREATE TABLE deliveries(
  recipient BLOB NOT NULL,
  envelope_id INTEGER NOT NULL,
  PRIMARY KEY(recipient, envelope_id)) WITHOUT ROWID;
CREATE INDEX deliveries_by_envelope ON deliveries(envelope_id);
CREATE TABLE subscriptions(
  group_id BLOB NOT NULL,
  member BLOB NOT NULL,
  epoch INTEGER NOT NULL,
  PRIMARY KEY(group_id, member)) WITHOUT ROWID;
CREATE TABLE group_epochs(
  group_id BLOB PRIMARY KEY,
  epoch INTEGER NOT NULL,
  first_seen_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql"},
    // Group envelopes are retained for later joiners: stamped with the publisher's membership
    // epoch, found by group. Rows of version 1 keep epoch 0 and member_since 0 (unknown).
    {2, R"sql(
ALTER TABLE envelopes ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
CREATE INDEX envelopes_by_group ON envelopes(group_id) WHERE group_id IS NOT NULL;
ALTER TABLE subscriptions ADD COLUMN member_since INTEGER NOT NULL DEFAULT 0;
)sql"},
};

// The group's oldest envelopes are dropped this many at a time until enough bytes are gone.
constexpr std::int64_t kDropBatch = 64;

ByteView blob(const std::string& s) { return as_bytes(s); }
std::string text_of(const Bytes& b) { return {b.begin(), b.end()}; }
std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

// Every row of a query, each made into a T by `make`.
template <class Make>
auto all_rows(store::Database& db, std::string_view sql, Make make)
    -> Result<std::vector<decltype(make(std::declval<store::Statement&>()))>> {
    auto q = db.prepare(sql);
    if (!q) return q.error();
    std::vector<decltype(make(*q))> out;
    while (true) {
        auto row = q->step();
        if (!row) return row.error();
        if (!*row) break;
        out.push_back(make(*q));
    }
    return out;
}

}  // namespace

struct SqliteStore::Statements {
    store::Statement insert_envelope;
    store::Statement insert_delivery;
    store::Statement pending;
    store::Statement delete_delivery;
    store::Statement delete_if_unowed;
    store::Statement expire_deliveries;
    store::Statement expire_envelopes;
    store::Statement upsert_subscription;
    store::Statement upsert_group_epoch;
    store::Statement disown_earlier;
    store::Statement owe_from;
    store::Statement owed_bytes;
    store::Statement oldest_of_group;
    store::Statement owed_of_envelope;
    store::Statement delete_envelope_deliveries;
    store::Statement delete_envelope;
};

SqliteStore::SqliteStore(store::Database db, std::unique_ptr<Statements> statements)
    : db_(std::move(db)), st_(std::move(statements)) {}

SqliteStore::~SqliteStore() {
    if (db_.in_transaction()) (void)db_.rollback();  // never acknowledged: nothing is lost
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& db_path) {
    auto db = store::Database::open(db_path, kMigrations);
    if (!db) return db.error();
    std::optional<Error> failed;
    auto prep = [&](std::string_view sql) -> store::Statement {
        auto s = db->prepare(sql);
        if (!s) {
            if (!failed) failed = s.error();
            auto placeholder = db->prepare("SELECT 1");  // never run: open() returns the error
            return std::move(placeholder.value());
        }
        return std::move(*s);
    };
    auto st = std::make_unique<Statements>(Statements{
        prep("INSERT INTO envelopes(type, sender, recipient, group_id, payload, expires_ms, epoch) "
             "VALUES(?1,?2,?3,?4,?5,?6,?7)"),
        prep("INSERT OR IGNORE INTO deliveries(recipient, envelope_id) VALUES(?1,?2)"),
        prep("SELECT e.id, e.type, e.sender, e.recipient, e.group_id, e.payload, e.expires_ms, e.epoch "
             "FROM deliveries d JOIN envelopes e ON e.id = d.envelope_id WHERE d.recipient = ?1 AND d.envelope_id > ?2 "
             "ORDER BY d.envelope_id LIMIT ?3"),
        prep("DELETE FROM deliveries WHERE recipient = ?1 AND envelope_id = ?2"),
        // Only a mailbox envelope goes with its last acknowledgement; a group's stays retained.
        prep("DELETE FROM envelopes WHERE id = ?1 AND group_id IS NULL "
             "AND NOT EXISTS (SELECT 1 FROM deliveries WHERE envelope_id = ?1)"),
        prep("DELETE FROM deliveries WHERE envelope_id IN (SELECT id FROM envelopes WHERE expires_ms <= ?1)"),
        prep("DELETE FROM envelopes WHERE expires_ms <= ?1"),
        prep(
            "INSERT INTO subscriptions(group_id, member, epoch, member_since) VALUES(?1,?2,?3,?4) "
            "ON CONFLICT(group_id, member) DO UPDATE SET epoch = excluded.epoch, member_since = excluded.member_since"),
        prep("INSERT INTO group_epochs(group_id, epoch, first_seen_ms) VALUES(?1,?2,?3) "
             "ON CONFLICT(group_id) DO UPDATE SET epoch = excluded.epoch, first_seen_ms = excluded.first_seen_ms"),
        prep("DELETE FROM deliveries WHERE recipient = ?2 AND envelope_id IN "
             "(SELECT id FROM envelopes WHERE group_id = ?1 AND epoch > 0 AND epoch < ?3)"),
        prep("INSERT OR IGNORE INTO deliveries(recipient, envelope_id) "
             "SELECT ?2, id FROM envelopes WHERE group_id = ?1 AND epoch >= ?3 AND sender != ?2"),
        prep("SELECT COALESCE(SUM(length(e.payload)), 0) FROM deliveries d JOIN envelopes e ON e.id = d.envelope_id "
             "WHERE d.recipient = ?1"),
        prep("SELECT id, length(payload) FROM envelopes WHERE group_id = ?1 ORDER BY id LIMIT ?2"),
        prep("SELECT recipient FROM deliveries WHERE envelope_id = ?1"),
        prep("DELETE FROM deliveries WHERE envelope_id = ?1"),
        prep("DELETE FROM envelopes WHERE id = ?1"),
    });
    if (failed) return *failed;
    return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(*db), std::move(st)));
}

Status SqliteStore::ensure_transaction() {
    if (db_.in_transaction()) return {};
    return db_.begin();
}

Result<std::uint64_t> SqliteStore::insert(const StoredEnvelope& e, std::span<const MemberKey> recipients) {
    if (auto s = ensure_transaction(); !s) return s.error();
    auto& ins = st_->insert_envelope;
    ins.reset();
    ins.bind(1, std::int64_t{e.type}).bind(2, blob(e.sender_key)).bind(5, blob(e.payload)).bind(6, i64(e.expires_ms));
    ins.bind(7, i64(e.epoch));
    if (e.recipient_key.empty()) {
        ins.bind_null(3);
    } else {
        ins.bind(3, blob(e.recipient_key));
    }
    if (e.group_id.empty()) {
        ins.bind_null(4);
    } else {
        ins.bind(4, blob(e.group_id));
    }
    if (auto s = ins.run(); !s) return s.error();
    const std::int64_t id = db_.last_insert_rowid();
    auto& del = st_->insert_delivery;
    for (const auto& r : recipients) {
        del.reset();
        del.bind(1, blob(r)).bind(2, id);
        if (auto s = del.run(); !s) return s.error();
    }
    return u64(id);
}

Result<std::vector<StoredEnvelope>> SqliteStore::pending(const MemberKey& recipient, std::uint64_t after_id,
                                                         std::size_t limit) {
    auto& q = st_->pending;
    q.reset();
    q.bind(1, blob(recipient)).bind(2, i64(after_id)).bind(3, static_cast<std::int64_t>(limit));
    std::vector<StoredEnvelope> out;
    while (true) {
        auto row = q.step();
        if (!row) return row.error();
        if (!*row) break;
        StoredEnvelope e;
        e.id = u64(q.column_int(0));
        e.type = static_cast<v1::EnvelopeType>(q.column_int(1));
        e.sender_key = text_of(q.column_blob(2));
        if (!q.column_is_null(3)) e.recipient_key = text_of(q.column_blob(3));
        if (!q.column_is_null(4)) e.group_id = text_of(q.column_blob(4));
        e.payload = text_of(q.column_blob(5));
        e.expires_ms = u64(q.column_int(6));
        e.epoch = u64(q.column_int(7));
        out.push_back(std::move(e));
    }
    q.reset();  // ends the read, so a later write transaction is not held up by it
    return out;
}

Status SqliteStore::remove_deliveries(const MemberKey& recipient, std::span<const std::uint64_t> ids) {
    if (auto s = ensure_transaction(); !s) return s;
    for (const std::uint64_t id : ids) {
        auto& del = st_->delete_delivery;
        del.reset();
        del.bind(1, blob(recipient)).bind(2, i64(id));
        if (auto s = del.run(); !s) return s;
        if (db_.changes() == 0) continue;  // a duplicate acknowledgement
        auto& gone = st_->delete_if_unowed;
        gone.reset();
        gone.bind(1, i64(id));
        if (auto s = gone.run(); !s) return s;
    }
    return {};
}

Result<std::uint64_t> SqliteStore::expire(std::uint64_t now_ms) {
    if (auto s = ensure_transaction(); !s) return s.error();
    auto& d = st_->expire_deliveries;
    d.reset();
    d.bind(1, i64(now_ms));
    if (auto s = d.run(); !s) return s.error();
    auto& e = st_->expire_envelopes;
    e.reset();
    e.bind(1, i64(now_ms));
    if (auto s = e.run(); !s) return s.error();
    return u64(db_.changes());
}

Result<std::uint64_t> SqliteStore::owe_membership(const GroupId& group, const MemberKey& member,
                                                  std::uint64_t member_since) {
    if (auto s = ensure_transaction(); !s) return s.error();
    for (store::Statement* q : {&st_->disown_earlier, &st_->owe_from}) {
        q->reset();
        q->bind(1, blob(group)).bind(2, blob(member)).bind(3, i64(member_since));
        if (auto s = q->run(); !s) return s.error();
    }
    auto& bytes = st_->owed_bytes;
    bytes.reset();
    bytes.bind(1, blob(member));
    auto row = bytes.step();
    if (!row) return row.error();
    const std::uint64_t owed = *row ? u64(bytes.column_int(0)) : 0;
    bytes.reset();
    return owed;
}

Result<Released> SqliteStore::drop_oldest(const GroupId& group, std::uint64_t bytes) {
    if (auto s = ensure_transaction(); !s) return s.error();
    Released released;
    std::map<MemberKey, std::uint64_t> owed;
    while (released.bytes < bytes) {
        std::vector<std::pair<std::int64_t, std::uint64_t>> oldest;  // id, payload bytes
        auto& q = st_->oldest_of_group;
        q.reset();
        q.bind(1, blob(group)).bind(2, kDropBatch);
        while (oldest.size() < static_cast<std::size_t>(kDropBatch)) {
            auto row = q.step();
            if (!row) return row.error();
            if (!*row) break;
            oldest.emplace_back(q.column_int(0), u64(q.column_int(1)));
        }
        q.reset();
        if (oldest.empty()) break;
        for (const auto& [id, size] : oldest) {
            if (released.bytes >= bytes) break;
            auto& r = st_->owed_of_envelope;
            r.reset();
            r.bind(1, id);
            while (true) {
                auto row = r.step();
                if (!row) return row.error();
                if (!*row) break;
                owed[text_of(r.column_blob(0))] += size;
            }
            r.reset();
            for (store::Statement* d : {&st_->delete_envelope_deliveries, &st_->delete_envelope}) {
                d->reset();
                d->bind(1, id);
                if (auto s = d->run(); !s) return s.error();
            }
            released.bytes += size;
        }
    }
    released.owed.assign(owed.begin(), owed.end());
    return released;
}

Result<std::vector<std::pair<GroupId, std::uint64_t>>> SqliteStore::group_bytes() {
    return all_rows(db_,
                    "SELECT group_id, SUM(length(payload)) FROM envelopes WHERE group_id IS NOT NULL GROUP BY group_id",
                    [](store::Statement& q) { return std::pair(text_of(q.column_blob(0)), u64(q.column_int(1))); });
}

Status SqliteStore::save_subscription(const Subscription& sub) {
    if (auto s = ensure_transaction(); !s) return s;
    auto& q = st_->upsert_subscription;
    q.reset();
    q.bind(1, blob(sub.group)).bind(2, blob(sub.member)).bind(3, i64(sub.epoch)).bind(4, i64(sub.member_since));
    return q.run();
}

Result<std::vector<Subscription>> SqliteStore::subscriptions() {
    return all_rows(db_, "SELECT group_id, member, epoch, member_since FROM subscriptions", [](store::Statement& q) {
        return Subscription{text_of(q.column_blob(0)), text_of(q.column_blob(1)), u64(q.column_int(2)),
                            u64(q.column_int(3))};
    });
}

Status SqliteStore::save_group_epoch(const GroupEpoch& epoch) {
    if (auto s = ensure_transaction(); !s) return s;
    auto& q = st_->upsert_group_epoch;
    q.reset();
    q.bind(1, blob(epoch.group)).bind(2, i64(epoch.epoch)).bind(3, i64(epoch.first_seen_ms));
    return q.run();
}

Result<std::vector<GroupEpoch>> SqliteStore::group_epochs() {
    return all_rows(db_, "SELECT group_id, epoch, first_seen_ms FROM group_epochs", [](store::Statement& q) {
        return GroupEpoch{text_of(q.column_blob(0)), u64(q.column_int(1)), u64(q.column_int(2))};
    });
}

Result<std::vector<std::pair<MemberKey, std::uint64_t>>> SqliteStore::queued_bytes() {
    return all_rows(db_,
                    "SELECT d.recipient, SUM(length(e.payload)) FROM deliveries d JOIN envelopes e "
                    "ON e.id = d.envelope_id GROUP BY d.recipient",
                    [](store::Statement& q) { return std::pair(text_of(q.column_blob(0)), u64(q.column_int(1))); });
}

Status SqliteStore::commit() {
    if (!db_.in_transaction()) return {};
    return db_.commit();
}

}  // namespace twofold::relay
