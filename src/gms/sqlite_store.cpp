#include "gms/sqlite_store.h"

#include <algorithm>

#include "crypto/hex.h"

namespace twofold::gms {

namespace {

const std::vector<store::Migration> kMigrations = {
    {1, R"sql(
CREATE TABLE accounts(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  identity_key BLOB NOT NULL,
  online INTEGER NOT NULL DEFAULT 0);
CREATE TABLE groups(
  id BLOB PRIMARY KEY,
  rn2_interval_seconds INTEGER NOT NULL,
  max_members INTEGER NOT NULL,
  strict INTEGER NOT NULL,
  membership_epoch INTEGER NOT NULL,
  rn1_generation INTEGER NOT NULL,
  rn2_epoch INTEGER NOT NULL,
  sealed_keys BLOB NOT NULL);
CREATE TABLE members(
  group_id BLOB NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  may_invite INTEGER NOT NULL,
  may_remove INTEGER NOT NULL,
  acknowledged_epoch INTEGER NOT NULL,
  PRIMARY KEY(group_id, account_id)) WITHOUT ROWID;
)sql"},
    // Who won each recent RN1 generation's claim (members take a rotation's RN1 only from it),
    // the last kRn1ClaimsKept per group. A group of schema 1 has no rows: who claimed its
    // generations so far is unknown, and members treat them as before (docs/gms.md, Storage).
    {2, R"sql(
CREATE TABLE rn1_claims(
  group_id BLOB NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  generation INTEGER NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  PRIMARY KEY(group_id, generation)) WITHOUT ROWID;
)sql"},
    // The epochs each membership's latest join produced: joined_epoch (RN2), which recent RN2s a
    // member may have, and member_since (membership), which its statements carry. A row from
    // before has neither: joined_epoch 0 is sound (its group's stored keys hold no recent RN2s;
    // Membership::joined_epoch), and member_since takes the group's current membership epoch,
    // never earlier than the member's real join (decision 28).
    {3, R"sql(
ALTER TABLE members ADD COLUMN joined_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN member_since INTEGER NOT NULL DEFAULT 0;
UPDATE members SET member_since = (SELECT membership_epoch FROM groups WHERE groups.id = members.group_id);
)sql"},
    // Memberships that expire (issue 14): each member's validity end (0: never), and the group's
    // two policy values for it, the RN1 interval (the thesis's long period; 7 days, the interval
    // members used before it was policy) and the longest validity an inviter may give.
    {4, R"sql(
ALTER TABLE members ADD COLUMN valid_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN rn1_interval_seconds INTEGER NOT NULL DEFAULT 604800;
ALTER TABLE groups ADD COLUMN max_validity_seconds INTEGER NOT NULL DEFAULT 0;
)sql"},
};

std::int64_t as_int(std::uint64_t v) { return static_cast<std::int64_t>(v); }

}  // namespace

struct SqliteStore::Statements {
    store::Statement put_account;
    store::Statement put_group;
    store::Statement put_member;
    store::Statement set_ack;
    store::Statement del_member;
    store::Statement del_group;
    store::Statement set_online;
    store::Statement put_claim;
    store::Statement prune_claims;
};

SqliteStore::SqliteStore(store::Database db, KeySealer sealer) : db_(std::move(db)), sealer_(std::move(sealer)) {}
SqliteStore::SqliteStore(SqliteStore&&) noexcept = default;
SqliteStore& SqliteStore::operator=(SqliteStore&&) noexcept = default;
SqliteStore::~SqliteStore() = default;

Result<SqliteStore> SqliteStore::open(const std::filesystem::path& data_dir) {
    auto sealer = KeySealer::open(data_dir);
    if (!sealer) return sealer.error();
    auto db = store::Database::open(data_dir / "gms.db", kMigrations);
    if (!db) return db.error();
    return SqliteStore(std::move(*db), std::move(*sealer));
}

Result<State> SqliteStore::load() {
    if (auto s = db_.exec("UPDATE accounts SET online = 0 WHERE online != 0"); !s) return s.error();
    State state;
    auto accounts = db_.prepare("SELECT id, name, password_hash, identity_key FROM accounts ORDER BY id");
    if (!accounts) return accounts.error();
    for (;;) {
        auto row = accounts->step();
        if (!row) return row.error();
        if (!*row) break;
        Account a;
        a.id = static_cast<AccountId>(accounts->column_int(0));
        a.name = accounts->column_text(1);
        a.password_hash = accounts->column_text(2);
        const Bytes key = accounts->column_blob(3);
        if (key.size() != a.identity_key.size())
            return make_error(Errc::malformed, "stored identity key has a bad size");
        std::copy(key.begin(), key.end(), a.identity_key.begin());
        state.accounts.push_back(std::move(a));
    }

    auto groups = db_.prepare(
        "SELECT id, rn2_interval_seconds, max_members, strict, membership_epoch, rn1_generation, rn2_epoch, "
        "sealed_keys, rn1_interval_seconds, max_validity_seconds FROM groups");
    auto members = db_.prepare(
        "SELECT account_id, may_invite, may_remove, acknowledged_epoch, joined_epoch, member_since, valid_until "
        "FROM members WHERE group_id = ?1");
    auto claims = db_.prepare("SELECT generation, account_id FROM rn1_claims WHERE group_id = ?1");
    if (!groups) return groups.error();
    if (!members) return members.error();
    if (!claims) return claims.error();
    for (;;) {
        auto row = groups->step();
        if (!row) return row.error();
        if (!*row) break;
        const Bytes id = groups->column_blob(0);
        if (id.size() != kGroupIdBytes) return make_error(Errc::malformed, "stored group id has a bad size");
        Group g;
        std::copy(id.begin(), id.end(), g.id.begin());
        g.policy = Policy{static_cast<std::uint32_t>(groups->column_int(1)),
                          static_cast<std::uint32_t>(groups->column_int(2)), groups->column_int(3) != 0,
                          static_cast<std::uint32_t>(groups->column_int(8)),
                          static_cast<std::uint32_t>(groups->column_int(9))};
        g.membership_epoch = static_cast<std::uint64_t>(groups->column_int(4));
        g.rn1_generation = static_cast<std::uint64_t>(groups->column_int(5));
        const auto rn2_epoch = static_cast<std::uint64_t>(groups->column_int(6));
        auto keys = sealer_.open(g.id, rn2_epoch, groups->column_blob(7));
        if (!keys) return make_error(keys.error().code, "group " + crypto::to_hex(g.id) + ": " + keys.error().message);
        g.keys = std::move(*keys);
        members->bind(1, ByteView(g.id));
        for (;;) {
            auto m = members->step();
            if (!m) return m.error();
            if (!*m) break;
            g.members.emplace(static_cast<AccountId>(members->column_int(0)),
                              Membership{Rights{members->column_int(1) != 0, members->column_int(2) != 0},
                                         static_cast<std::uint64_t>(members->column_int(3)),
                                         static_cast<std::uint64_t>(members->column_int(4)),
                                         static_cast<std::uint64_t>(members->column_int(5)),
                                         static_cast<std::uint64_t>(members->column_int(6))});
        }
        members->reset();
        if (auto s = load_claims(*claims, g); !s) return s.error();
        state.groups.push_back(std::move(g));
    }
    return state;
}

Status SqliteStore::load_claims(store::Statement& claims, Group& g) {
    claims.bind(1, ByteView(g.id));
    for (;;) {
        auto row = claims.step();
        if (!row) return row.error();
        if (!*row) break;
        const auto generation = static_cast<std::uint64_t>(claims.column_int(0));
        if (generation <= g.rn1_generation && generation + kRn1ClaimsKept > g.rn1_generation) {
            g.rn1_claimers.emplace(generation, static_cast<AccountId>(claims.column_int(1)));
        }
    }
    claims.reset();
    return {};
}

void SqliteStore::seal(Journal& j) { sealer_.seal_journal(j); }

Status SqliteStore::commit(std::span<const Journal> journals) {
    if (std::all_of(journals.begin(), journals.end(), [](const Journal& j) { return j.empty(); })) return {};
    if (auto s = db_.begin(); !s) return s;
    for (const Journal& j : journals) {
        if (auto s = apply(j); !s) {
            (void)db_.rollback();
            return s;
        }
    }
    if (auto s = db_.commit(); !s) {
        (void)db_.rollback();
        return s;
    }
    return {};
}

Status SqliteStore::apply(const Journal& j) {
    const auto fail = [](const Error& e) -> Status { return e; };
    if (!statements_) {
        auto put_account =
            db_.prepare("INSERT INTO accounts(id, name, password_hash, identity_key) VALUES (?1, ?2, ?3, ?4)");
        // An upsert, not INSERT OR REPLACE: a replace deletes the row, and the delete would cascade
        // to the group's members.
        auto put_group = db_.prepare(
            "INSERT INTO groups(id, rn2_interval_seconds, max_members, strict, membership_epoch, "
            "rn1_generation, rn2_epoch, sealed_keys, rn1_interval_seconds, max_validity_seconds) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
            "ON CONFLICT(id) DO UPDATE SET rn2_interval_seconds = ?2, max_members = ?3, strict = ?4, "
            "membership_epoch = ?5, rn1_generation = ?6, rn2_epoch = ?7, sealed_keys = ?8, "
            "rn1_interval_seconds = ?9, max_validity_seconds = ?10");
        auto put_member = db_.prepare(
            "INSERT OR REPLACE INTO members(group_id, account_id, may_invite, may_remove, acknowledged_epoch, "
            "joined_epoch, member_since, valid_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        auto set_ack =
            db_.prepare("UPDATE members SET acknowledged_epoch = ?3 WHERE group_id = ?1 AND account_id = ?2");
        auto del_member = db_.prepare("DELETE FROM members WHERE group_id = ?1 AND account_id = ?2");
        auto del_group = db_.prepare("DELETE FROM groups WHERE id = ?1");
        auto set_online = db_.prepare("UPDATE accounts SET online = ?2 WHERE id = ?1");
        auto put_claim =
            db_.prepare("INSERT OR REPLACE INTO rn1_claims(group_id, generation, account_id) VALUES (?1, ?2, ?3)");
        auto prune_claims = db_.prepare("DELETE FROM rn1_claims WHERE group_id = ?1 AND generation <= ?2");
        for (auto* st : {&put_account, &put_group, &put_member, &set_ack, &del_member, &del_group, &set_online,
                         &put_claim, &prune_claims}) {
            if (!*st) return fail(st->error());
        }
        statements_ = std::make_unique<Statements>(
            Statements{std::move(*put_account), std::move(*put_group), std::move(*put_member), std::move(*set_ack),
                       std::move(*del_member), std::move(*del_group), std::move(*set_online), std::move(*put_claim),
                       std::move(*prune_claims)});
    }
    auto& [put_account, put_group, put_member, set_ack, del_member, del_group, set_online, put_claim, prune_claims] =
        *statements_;
    for (const Account& a : j.accounts) {
        if (auto s = put_account.bind(1, as_int(a.id))
                         .bind(2, a.name)
                         .bind(3, a.password_hash)
                         .bind(4, ByteView(a.identity_key))
                         .run();
            !s) {
            return fail(s.error());
        }
    }
    // Deletions first: a group re-created with the same id later in the journal is written after
    // its old rows are gone, not deleted with them (the delete cascades to members and claims).
    for (const GroupId& gid : j.deleted_groups) {
        if (auto s = del_group.bind(1, ByteView(gid)).run(); !s) return fail(s.error());
    }
    for (const GroupRow& g : j.groups) {
        const Bytes sealed = sealer_.sealed(g);
        if (auto s = put_group.bind(1, ByteView(g.id))
                         .bind(2, std::int64_t{g.policy.rn2_interval_seconds})
                         .bind(3, std::int64_t{g.policy.max_members})
                         .bind(4, std::int64_t{g.policy.strict})
                         .bind(5, as_int(g.membership_epoch))
                         .bind(6, as_int(g.rn1_generation))
                         .bind(7, as_int(g.rn2_epoch))
                         .bind(8, sealed)
                         .bind(9, std::int64_t{g.policy.rn1_interval_seconds})
                         .bind(10, std::int64_t{g.policy.max_validity_seconds})
                         .run();
            !s) {
            return fail(s.error());
        }
    }
    for (const auto& [gid, aid] : j.removed_memberships) {
        if (auto s = del_member.bind(1, ByteView(gid)).bind(2, as_int(aid)).run(); !s) return fail(s.error());
    }
    for (const MembershipRow& m : j.memberships) {
        if (auto s = put_member.bind(1, ByteView(m.group))
                         .bind(2, as_int(m.account))
                         .bind(3, std::int64_t{m.membership.rights.may_invite})
                         .bind(4, std::int64_t{m.membership.rights.may_remove})
                         .bind(5, as_int(m.membership.acknowledged_epoch))
                         .bind(6, as_int(m.membership.joined_epoch))
                         .bind(7, as_int(m.membership.member_since))
                         .bind(8, as_int(m.membership.valid_until))
                         .run();
            !s) {
            return fail(s.error());
        }
    }
    for (const AckRow& a : j.acks) {
        if (auto s = set_ack.bind(1, ByteView(a.group))
                         .bind(2, as_int(a.account))
                         .bind(3, as_int(a.acknowledged_epoch))
                         .run();
            !s) {
            return fail(s.error());
        }
    }
    for (const Rn1ClaimRow& c : j.rn1_claims) {
        if (auto s =
                put_claim.bind(1, ByteView(c.group)).bind(2, as_int(c.generation)).bind(3, as_int(c.claimer)).run();
            !s) {
            return fail(s.error());
        }
        if (c.generation < kRn1ClaimsKept) continue;
        // Only the last kRn1ClaimsKept generations are ever reported.
        if (auto s = prune_claims.bind(1, ByteView(c.group)).bind(2, as_int(c.generation - kRn1ClaimsKept)).run(); !s) {
            return fail(s.error());
        }
    }
    for (const auto& [aid, online] : j.online) {
        if (auto s = set_online.bind(1, as_int(aid)).bind(2, std::int64_t{online}).run(); !s) return fail(s.error());
    }
    return {};
}

Result<std::vector<GroupTableRow>> SqliteStore::group_table() {
    auto st = db_.prepare(
        "SELECT g.id, a.name, a.online, m.acknowledged_epoch, g.rn2_epoch, m.may_invite, m.may_remove, "
        "m.valid_until FROM members m JOIN groups g ON g.id = m.group_id JOIN accounts a ON a.id = m.account_id "
        "ORDER BY g.id, a.name");
    if (!st) return st.error();
    std::vector<GroupTableRow> rows;
    for (;;) {
        auto r = st->step();
        if (!r) return r.error();
        if (!*r) break;
        GroupTableRow row{};
        const Bytes id = st->column_blob(0);
        std::copy_n(id.begin(), std::min(id.size(), row.group.size()), row.group.begin());
        row.account = st->column_text(1);
        row.online = st->column_int(2) != 0;
        row.acknowledged_epoch = static_cast<std::uint64_t>(st->column_int(3));
        row.rn2_epoch = static_cast<std::uint64_t>(st->column_int(4));
        row.rights = Rights{st->column_int(5) != 0, st->column_int(6) != 0};
        row.valid_until = static_cast<std::uint64_t>(st->column_int(7));
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace twofold::gms
