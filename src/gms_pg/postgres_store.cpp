#include "gms_pg/postgres_store.h"

#include <algorithm>
#include <map>

#include "crypto/hex.h"
#include "gms_pg/shared_identity.h"
#include "pg/migrations.h"

namespace twofold::gms {

namespace {

// The SQLite schema's tables and columns (gms/sqlite_store.cpp, its schema 3), in PostgreSQL's
// types: bigint for SQLite's INTEGER, boolean for its 0/1 flags, bytea for its BLOBs.
const std::vector<pg::Migration> kMigrations = {
    {1, R"sql(
CREATE TABLE accounts(
  id bigint PRIMARY KEY,
  name text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  identity_key bytea NOT NULL,
  online boolean NOT NULL DEFAULT false);
CREATE TABLE groups(
  id bytea PRIMARY KEY,
  rn2_interval_seconds bigint NOT NULL,
  max_members bigint NOT NULL,
  strict boolean NOT NULL,
  membership_epoch bigint NOT NULL,
  rn1_generation bigint NOT NULL,
  rn2_epoch bigint NOT NULL,
  sealed_keys bytea NOT NULL);
CREATE TABLE members(
  group_id bytea NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts(id),
  may_invite boolean NOT NULL,
  may_remove boolean NOT NULL,
  acknowledged_epoch bigint NOT NULL,
  joined_epoch bigint NOT NULL,
  member_since bigint NOT NULL,
  PRIMARY KEY(group_id, account_id));
CREATE TABLE rn1_claims(
  group_id bytea NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  generation bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts(id),
  PRIMARY KEY(group_id, generation));
)sql"},
    // Several GMS processes on one database (issue 15): the leadership lease (gms_pg/lease.h),
    // one row, its expiry in the database clock's milliseconds; and the identity every process
    // shares (gms_pg/shared_identity.h), its secrets sealed under storage.key.
    {2, R"sql(
CREATE TABLE gms_lease(
  id integer PRIMARY KEY CHECK (id = 1),
  holder text NOT NULL,
  advertise text NOT NULL,
  token bigint NOT NULL,
  expires_ms bigint NOT NULL);
INSERT INTO gms_lease(id, holder, advertise, token, expires_ms) VALUES (1, '', '', 0, 0);
CREATE TABLE gms_identity(
  id integer PRIMARY KEY CHECK (id = 1),
  tls_certificate text NOT NULL,
  sealed_secrets bytea NOT NULL);
)sql"},
};

constexpr const char* kComponent = "gms";

// Every write is an upsert or a delete of given values: a transaction retried after a lost
// connection (whose COMMIT may have landed) writes the same rows again (connection.h).
constexpr const char* kPutAccount =
    "INSERT INTO accounts(id, name, password_hash, identity_key) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING";
constexpr const char* kDeleteGroup = "DELETE FROM groups WHERE id = $1";
constexpr const char* kPutGroup =
    "INSERT INTO groups(id, rn2_interval_seconds, max_members, strict, membership_epoch, rn1_generation, rn2_epoch, "
    "sealed_keys) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET "
    "rn2_interval_seconds = excluded.rn2_interval_seconds, max_members = excluded.max_members, "
    "strict = excluded.strict, membership_epoch = excluded.membership_epoch, "
    "rn1_generation = excluded.rn1_generation, rn2_epoch = excluded.rn2_epoch, sealed_keys = excluded.sealed_keys";
constexpr const char* kDeleteMember = "DELETE FROM members WHERE group_id = $1 AND account_id = $2";
constexpr const char* kPutMember =
    "INSERT INTO members(group_id, account_id, may_invite, may_remove, acknowledged_epoch, joined_epoch, "
    "member_since) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (group_id, account_id) DO UPDATE SET "
    "may_invite = excluded.may_invite, may_remove = excluded.may_remove, "
    "acknowledged_epoch = excluded.acknowledged_epoch, joined_epoch = excluded.joined_epoch, "
    "member_since = excluded.member_since";
constexpr const char* kSetAck = "UPDATE members SET acknowledged_epoch = $3 WHERE group_id = $1 AND account_id = $2";
constexpr const char* kPutClaim =
    "INSERT INTO rn1_claims(group_id, generation, account_id) VALUES ($1, $2, $3) "
    "ON CONFLICT (group_id, generation) DO UPDATE SET account_id = excluded.account_id";
constexpr const char* kPruneClaims = "DELETE FROM rn1_claims WHERE group_id = $1 AND generation <= $2";
constexpr const char* kSetOnline = "UPDATE accounts SET online = $2 WHERE id = $1";

std::int64_t as_int(std::uint64_t v) { return static_cast<std::int64_t>(v); }

Result<GroupId> group_id(const pg::Rows& rows, std::size_t row, int column) {
    const Bytes id = rows.bytes(row, column);
    if (id.size() != kGroupIdBytes) return make_error(Errc::malformed, "stored group id has a bad size");
    GroupId g;
    std::copy(id.begin(), id.end(), g.begin());
    return g;
}

}  // namespace

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& conninfo,
                                                           const std::filesystem::path& data_dir,
                                                           pg::RetryPolicy retry) {
    auto sealer = KeySealer::open(data_dir);
    if (!sealer) return sealer.error();
    auto db = pg::Connection::open(conninfo, std::move(retry));
    if (!db) return db.error();
    if (auto s = pg::migrate(*db, kComponent, kMigrations); !s) return s.error();
    return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(*db), std::move(*sealer)));
}

Result<State> PostgresStore::load() {
    if (auto r = db_.query("UPDATE accounts SET online = false WHERE online"); !r) return r.error();
    State state;
    auto accounts = db_.query("SELECT id, name, password_hash, identity_key FROM accounts ORDER BY id");
    if (!accounts) return accounts.error();
    if (auto s = accounts->expect({pg::Type::integer, pg::Type::text, pg::Type::text, pg::Type::bytea}); !s) {
        return s.error();
    }
    for (std::size_t i = 0; i < accounts->size(); ++i) {
        Account a;
        a.id = static_cast<AccountId>(accounts->integer(i, 0));
        a.name = accounts->text(i, 1);
        a.password_hash = accounts->text(i, 2);
        const Bytes key = accounts->bytes(i, 3);
        if (key.size() != a.identity_key.size()) return make_error(Errc::malformed, "stored identity key has a bad size");
        std::copy(key.begin(), key.end(), a.identity_key.begin());
        state.accounts.push_back(std::move(a));
    }

    auto groups = db_.query(
        "SELECT id, rn2_interval_seconds, max_members, strict, membership_epoch, rn1_generation, rn2_epoch, "
        "sealed_keys FROM groups");
    if (!groups) return groups.error();
    if (auto s = groups->expect({pg::Type::bytea, pg::Type::integer, pg::Type::integer, pg::Type::integer,
                                 pg::Type::integer, pg::Type::integer, pg::Type::integer, pg::Type::bytea});
        !s) {
        return s.error();
    }
    std::map<GroupId, std::size_t> index;
    for (std::size_t i = 0; i < groups->size(); ++i) {
        auto id = group_id(*groups, i, 0);
        if (!id) return id.error();
        Group g;
        g.id = *id;
        g.policy = Policy{static_cast<std::uint32_t>(groups->integer(i, 1)),
                          static_cast<std::uint32_t>(groups->integer(i, 2)), groups->integer(i, 3) != 0};
        g.membership_epoch = static_cast<std::uint64_t>(groups->integer(i, 4));
        g.rn1_generation = static_cast<std::uint64_t>(groups->integer(i, 5));
        const auto rn2_epoch = static_cast<std::uint64_t>(groups->integer(i, 6));
        auto keys = sealer_.open(g.id, rn2_epoch, groups->bytes(i, 7));
        if (!keys) return make_error(keys.error().code, "group " + crypto::to_hex(g.id) + ": " + keys.error().message);
        g.keys = std::move(*keys);
        index.emplace(g.id, state.groups.size());
        state.groups.push_back(std::move(g));
    }

    auto members = db_.query(
        "SELECT group_id, account_id, may_invite, may_remove, acknowledged_epoch, joined_epoch, member_since "
        "FROM members");
    if (!members) return members.error();
    if (auto s = members->expect({pg::Type::bytea, pg::Type::integer, pg::Type::integer, pg::Type::integer,
                                  pg::Type::integer, pg::Type::integer, pg::Type::integer});
        !s) {
        return s.error();
    }
    for (std::size_t i = 0; i < members->size(); ++i) {
        auto id = group_id(*members, i, 0);
        if (!id) return id.error();
        const auto g = index.find(*id);
        if (g == index.end()) continue;  // the foreign key makes this impossible
        state.groups[g->second].members.emplace(
            static_cast<AccountId>(members->integer(i, 1)),
            Membership{Rights{members->integer(i, 2) != 0, members->integer(i, 3) != 0},
                       static_cast<std::uint64_t>(members->integer(i, 4)),
                       static_cast<std::uint64_t>(members->integer(i, 5)),
                       static_cast<std::uint64_t>(members->integer(i, 6))});
    }

    auto claims = db_.query("SELECT group_id, generation, account_id FROM rn1_claims");
    if (!claims) return claims.error();
    if (auto s = claims->expect({pg::Type::bytea, pg::Type::integer, pg::Type::integer}); !s) return s.error();
    for (std::size_t i = 0; i < claims->size(); ++i) {
        auto id = group_id(*claims, i, 0);
        if (!id) return id.error();
        const auto g = index.find(*id);
        if (g == index.end()) continue;
        Group& group = state.groups[g->second];
        const auto generation = static_cast<std::uint64_t>(claims->integer(i, 1));
        if (generation <= group.rn1_generation && generation + kRn1ClaimsKept > group.rn1_generation) {
            group.rn1_claimers.emplace(generation, static_cast<AccountId>(claims->integer(i, 2)));
        }
    }
    return state;
}

void PostgresStore::seal(Journal& j) { sealer_.seal_journal(j); }

// The rows of the journals, in SqliteStore::apply's order, as one batch of statements.
std::vector<pg::Command> PostgresStore::commands(std::span<const Journal> journals) {
    std::vector<pg::Command> out;
    for (const Journal& j : journals) {
        for (const Account& a : j.accounts) {
            out.push_back({kPutAccount, pg::Params()
                                            .int8(as_int(a.id))
                                            .text(a.name)
                                            .text(a.password_hash)
                                            .bytea(ByteView(a.identity_key))});
        }
        // Deletions first: a group re-created with the same id later in the journal is written
        // after its old rows are gone, not deleted with them (the delete cascades).
        for (const GroupId& gid : j.deleted_groups) out.push_back({kDeleteGroup, pg::Params().bytea(ByteView(gid))});
        for (const GroupRow& g : j.groups) {
            out.push_back({kPutGroup, pg::Params()
                                          .bytea(ByteView(g.id))
                                          .int8(g.policy.rn2_interval_seconds)
                                          .int8(g.policy.max_members)
                                          .boolean(g.policy.strict)
                                          .int8(as_int(g.membership_epoch))
                                          .int8(as_int(g.rn1_generation))
                                          .int8(as_int(g.rn2_epoch))
                                          .bytea(sealer_.sealed(g))});
        }
        for (const auto& [gid, aid] : j.removed_memberships) {
            out.push_back({kDeleteMember, pg::Params().bytea(ByteView(gid)).int8(as_int(aid))});
        }
        for (const MembershipRow& m : j.memberships) {
            out.push_back({kPutMember, pg::Params()
                                           .bytea(ByteView(m.group))
                                           .int8(as_int(m.account))
                                           .boolean(m.membership.rights.may_invite)
                                           .boolean(m.membership.rights.may_remove)
                                           .int8(as_int(m.membership.acknowledged_epoch))
                                           .int8(as_int(m.membership.joined_epoch))
                                           .int8(as_int(m.membership.member_since))});
        }
        for (const AckRow& a : j.acks) {
            out.push_back(
                {kSetAck, pg::Params().bytea(ByteView(a.group)).int8(as_int(a.account)).int8(as_int(a.acknowledged_epoch))});
        }
        for (const Rn1ClaimRow& c : j.rn1_claims) {
            out.push_back(
                {kPutClaim, pg::Params().bytea(ByteView(c.group)).int8(as_int(c.generation)).int8(as_int(c.claimer))});
            if (c.generation < kRn1ClaimsKept) continue;
            // Only the last kRn1ClaimsKept generations are ever reported.
            out.push_back(
                {kPruneClaims, pg::Params().bytea(ByteView(c.group)).int8(as_int(c.generation - kRn1ClaimsKept))});
        }
        for (const auto& [aid, online] : j.online) {
            out.push_back({kSetOnline, pg::Params().int8(as_int(aid)).boolean(online)});
        }
    }
    return out;
}

Status PostgresStore::guard_commit(pg::Connection& transaction) {
    return commit_guard_ ? commit_guard_(transaction) : Status{};
}

Status PostgresStore::commit(std::span<const Journal> journals) {
    if (std::all_of(journals.begin(), journals.end(), [](const Journal& j) { return j.empty(); })) return {};
    const std::vector<pg::Command> batch = commands(journals);  // sealed once, the same bytes on a retry
    return db_.transaction([&](pg::Connection& tx) -> Status {
        if (auto s = guard_commit(tx); !s) return s;
        return tx.pipeline(batch);
    });
}

Status PostgresStore::adopt_shared_identity(const std::filesystem::path& data_dir) {
    return gms::adopt_shared_identity(db_, sealer_, data_dir);
}

Result<std::vector<GroupTableRow>> PostgresStore::group_table() {
    auto rows = db_.query(
        "SELECT g.id, a.name, a.online, m.acknowledged_epoch, g.rn2_epoch, m.may_invite, m.may_remove "
        "FROM members m JOIN groups g ON g.id = m.group_id JOIN accounts a ON a.id = m.account_id "
        "ORDER BY g.id, a.name");
    if (!rows) return rows.error();
    if (auto s = rows->expect({pg::Type::bytea, pg::Type::text, pg::Type::integer, pg::Type::integer, pg::Type::integer,
                               pg::Type::integer, pg::Type::integer});
        !s) {
        return s.error();
    }
    std::vector<GroupTableRow> out;
    for (std::size_t i = 0; i < rows->size(); ++i) {
        GroupTableRow row{};
        const Bytes id = rows->bytes(i, 0);
        std::copy_n(id.begin(), std::min(id.size(), row.group.size()), row.group.begin());
        row.account = rows->text(i, 1);
        row.online = rows->integer(i, 2) != 0;
        row.acknowledged_epoch = static_cast<std::uint64_t>(rows->integer(i, 3));
        row.rn2_epoch = static_cast<std::uint64_t>(rows->integer(i, 4));
        row.rights = Rights{rows->integer(i, 5) != 0, rows->integer(i, 6) != 0};
        out.push_back(std::move(row));
    }
    return out;
}

}  // namespace twofold::gms
