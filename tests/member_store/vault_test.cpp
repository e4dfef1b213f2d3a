#include "member_store/vault.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "crypto/aead.h"

namespace twofold::member_store {
namespace {

namespace fs = std::filesystem;

const crypto::PwhashLimits kFast = crypto::PwhashLimits::minimum();
const std::string kPassphrase = "correct horse battery staple";

ByteView bytes_of(const std::string& s) { return as_bytes(s); }

std::string text_of(const crypto::SecretBuffer& b) { return {b.span().begin(), b.span().end()}; }

Bytes read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool contains(const Bytes& haystack, const std::string& needle) {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

bool mentions(const Error& e, const std::string& text) { return e.message.find(text) != std::string::npos; }

// Raw SQL on a vault file, as an attacker with the disk would do it. The vault is already at
// schema 1, so this migration list applies nothing.
store::Database raw(const fs::path& file) {
    auto db = store::Database::open(file, {{1, "SELECT 1"}});
    EXPECT_TRUE(db.ok()) << db.error().message;
    return std::move(*db);
}

class VaultTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("twofold-vault-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        file_ = dir_ / "member.vault";
    }
    void TearDown() override { fs::remove_all(dir_); }

    Vault make() {
        auto v = Vault::create(file_, bytes_of(kPassphrase), kFast);
        EXPECT_TRUE(v.ok()) << v.error().message;
        return std::move(*v);
    }
    Result<Vault> reopen(const std::string& passphrase = kPassphrase) {
        return Vault::open(file_, bytes_of(passphrase));
    }

    fs::path dir_;
    fs::path file_;
};

std::string get_text(Vault& v, std::string_view kind, std::string_view name) {
    auto r = v.get(kind, name);
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (!r.ok() || !r->has_value()) return "<none>";
    return text_of(**r);
}

TEST_F(VaultTest, CreateThenOpenRoundTrip) {
    {
        Vault v = make();
        ASSERT_TRUE(v.put("group", "abcd", bytes_of("group state")).ok());
        ASSERT_TRUE(v.put("identity", "self", bytes_of("seed")).ok());
    }
    auto v = reopen();
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(get_text(*v, "group", "abcd"), "group state");
    EXPECT_EQ(get_text(*v, "identity", "self"), "seed");
}

TEST_F(VaultTest, FileIsPrivateAndAMissingParentIsMadePrivate) {
    file_ = dir_ / "home" / "member.vault";
    Vault v = make();
    ASSERT_TRUE(v.put("k", "n", bytes_of("v")).ok());
    struct stat st {};
    ASSERT_EQ(::stat(file_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((file_.string() + "-wal").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat(file_.parent_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(VaultTest, WrongPassphraseIsAuthFailedAndNamesNoSecret) {
    { make(); }
    auto v = reopen("correct horse battery stapler");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, Errc::auth_failed);
    EXPECT_EQ(v.error().message, "wrong passphrase");
    EXPECT_TRUE(reopen().ok());
}

TEST_F(VaultTest, CreateRefusesAnExistingFile) {
    { make(); }
    const Bytes before = read_file(file_);
    auto again = Vault::create(file_, bytes_of("another"), kFast);
    ASSERT_FALSE(again.ok());
    EXPECT_TRUE(mentions(again.error(), file_.string()));
    EXPECT_TRUE(mentions(again.error(), "already exists"));
    EXPECT_EQ(read_file(file_), before);
    EXPECT_TRUE(reopen().ok());

    const std::string text = "not a vault";
    std::ofstream(dir_ / "plain") << text;
    EXPECT_FALSE(Vault::create(dir_ / "plain", bytes_of(kPassphrase), kFast).ok());
    EXPECT_EQ(read_file(dir_ / "plain"), Bytes(text.begin(), text.end()));
}

TEST_F(VaultTest, CreateRefusesWeakLimitsAndAnEmptyPassphrase) {
    auto weak = kFast;
    weak.memlimit -= 1;
    auto v = Vault::create(file_, bytes_of(kPassphrase), weak);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, Errc::invalid_argument);
    EXPECT_TRUE(mentions(v.error(), "minimum"));
    weak = kFast;
    weak.opslimit -= 1;
    EXPECT_FALSE(Vault::create(file_, bytes_of(kPassphrase), weak).ok());
    EXPECT_FALSE(Vault::create(file_, ByteView{}, kFast).ok());
    EXPECT_FALSE(fs::exists(file_));
}

TEST_F(VaultTest, OpenOfAMissingFileIsUnknownAndCreatesNothing) {
    auto v = reopen();
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, Errc::unknown);
    EXPECT_EQ(v.error().message, "no store at " + file_.string());
    EXPECT_FALSE(fs::exists(file_));
}

TEST_F(VaultTest, OpenOfAFileThatIsNotSqlite) {
    std::ofstream(file_) << "this is a text file, long enough to look like something at all";
    const Bytes before = read_file(file_);
    auto v = reopen();
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, Errc::malformed);
    EXPECT_TRUE(mentions(v.error(), file_.string()));
    EXPECT_TRUE(mentions(v.error(), "not an SQLite database")) << v.error().message;
    EXPECT_EQ(read_file(file_), before);
}

TEST_F(VaultTest, OpenOfAnotherProgramsSqliteFileLeavesItAlone) {
    {
        auto other = store::Database::open(file_, {{1, "CREATE TABLE notes(x TEXT); INSERT INTO notes VALUES('hi');"}});
        ASSERT_TRUE(other.ok());
        ASSERT_TRUE(other->exec("PRAGMA journal_mode=DELETE").ok());
    }
    const Bytes before = read_file(file_);
    auto v = reopen();
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, Errc::malformed);
    EXPECT_TRUE(mentions(v.error(), file_.string()));
    EXPECT_TRUE(mentions(v.error(), "is not a vault")) << v.error().message;
    EXPECT_EQ(read_file(file_), before);  // no tables added, not switched to WAL

    const fs::path empty = dir_ / "empty.db";
    { std::ofstream out(empty); }
    auto e = Vault::open(empty, bytes_of(kPassphrase));
    ASSERT_FALSE(e.ok());
    EXPECT_TRUE(mentions(e.error(), "is not a vault")) << e.error().message;
    EXPECT_EQ(fs::file_size(empty), 0u);
}

TEST_F(VaultTest, OpenRefusesAnotherFormatOrANewerSchema) {
    { make(); }
    { ASSERT_TRUE(raw(file_).exec("UPDATE meta SET format = 2").ok()); }
    auto v = reopen();
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, Errc::malformed);
    EXPECT_TRUE(mentions(v.error(), file_.string()));
    EXPECT_TRUE(mentions(v.error(), "format 2")) << v.error().message;

    { ASSERT_TRUE(raw(file_).exec("UPDATE meta SET format = 1; PRAGMA user_version = 7").ok()); }
    v = reopen();
    ASSERT_FALSE(v.ok());
    EXPECT_TRUE(mentions(v.error(), "schema 7")) << v.error().message;
}

TEST_F(VaultTest, PutGetOverwriteEraseAndSortedNames) {
    Vault v = make();
    for (const char* name : {"cc", "aa", "bb"}) ASSERT_TRUE(v.put("group", name, bytes_of(name)).ok());
    ASSERT_TRUE(v.put("contact", "zz", bytes_of("z")).ok());
    ASSERT_TRUE(v.put("empty", "value", ByteView{}).ok());

    EXPECT_EQ(get_text(v, "group", "bb"), "bb");
    ASSERT_TRUE(v.put("group", "bb", bytes_of("newer and longer")).ok());
    EXPECT_EQ(get_text(v, "group", "bb"), "newer and longer");
    EXPECT_EQ(get_text(v, "empty", "value"), "");

    auto names = v.names("group");
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(*names, (std::vector<std::string>{"aa", "bb", "cc"}));
    EXPECT_EQ(*v.names("contact"), std::vector<std::string>{"zz"});
    EXPECT_TRUE(v.names("nothing")->empty());

    ASSERT_TRUE(v.erase("group", "aa").ok());
    ASSERT_TRUE(v.erase("group", "never-there").ok());
    auto gone = v.get("group", "aa");
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(gone->has_value());
    EXPECT_EQ(*v.names("group"), (std::vector<std::string>{"bb", "cc"}));
    EXPECT_EQ(get_text(v, "contact", "zz"), "z");  // same name in another kind is another record
}

TEST_F(VaultTest, BadKindOrNameIsRefused) {
    Vault v = make();
    const std::string too_long(256, 'x');
    const std::string longest(255, 'x');
    const std::string with_nul("a\0b", 3);
    for (const std::string& bad : {std::string(), too_long, with_nul}) {
        EXPECT_EQ(v.put(bad, "n", bytes_of("v")).error().code, Errc::invalid_argument);
        EXPECT_EQ(v.put("k", bad, bytes_of("v")).error().code, Errc::invalid_argument);
        EXPECT_EQ(v.get("k", bad).error().code, Errc::invalid_argument);
        EXPECT_EQ(v.erase(bad, "n").error().code, Errc::invalid_argument);
        EXPECT_EQ(v.names(bad).error().code, Errc::invalid_argument);
    }
    EXPECT_TRUE(v.put(longest, longest, bytes_of("v")).ok());
    EXPECT_EQ(get_text(v, longest, longest), "v");
}

TEST_F(VaultTest, AValueMovedToAnotherRecordDoesNotOpen) {
    {
        Vault v = make();
        ASSERT_TRUE(v.put("group", "abcd", bytes_of("value of abcd")).ok());
        ASSERT_TRUE(v.put("group", "efgh", bytes_of("value of efgh")).ok());
    }
    {
        auto db = raw(file_);
        // Whole sealed values, nonce included, change places: only the associated data differs.
        ASSERT_TRUE(db.exec("UPDATE records SET name = 'tmp' WHERE name = 'abcd';"
                            "UPDATE records SET name = 'abcd' WHERE name = 'efgh';"
                            "UPDATE records SET name = 'efgh' WHERE name = 'tmp';")
                        .ok());
    }
    auto v = reopen();
    ASSERT_TRUE(v.ok()) << v.error().message;
    auto r = v->get("group", "abcd");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::auth_failed);
    EXPECT_EQ(r.error().message, "record group/abcd does not open: the store was altered");
    EXPECT_FALSE(v->get("group", "efgh").ok());
}

TEST_F(VaultTest, ASealedValueSwappedBetweenKindsDoesNotOpen) {
    {
        Vault v = make();
        ASSERT_TRUE(v.put("contact", "x", bytes_of("contact x")).ok());
        ASSERT_TRUE(v.put("group", "x", bytes_of("group x")).ok());
    }
    {
        auto db = raw(file_);
        ASSERT_TRUE(db.exec("UPDATE records SET (nonce, sealed) = (SELECT nonce, sealed FROM records "
                            "WHERE kind = 'group' AND name = 'x') WHERE kind = 'contact' AND name = 'x'")
                        .ok());
    }
    auto v = reopen();
    ASSERT_TRUE(v.ok());
    auto r = v->get("contact", "x");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::auth_failed);
    EXPECT_TRUE(mentions(r.error(), "contact/x")) << r.error().message;
    EXPECT_EQ(get_text(*v, "group", "x"), "group x");
}

TEST_F(VaultTest, AFlippedByteInASealedValueIsAuthFailed) {
    {
        Vault v = make();
        ASSERT_TRUE(v.put("group", "abcd", bytes_of("some group state")).ok());
    }
    {
        auto db = raw(file_);
        auto sel = db.prepare("SELECT sealed FROM records");
        ASSERT_TRUE(sel.ok() && *sel->step());
        Bytes sealed = sel->column_blob(0);
        sealed[3] ^= 0x01;
        auto upd = db.prepare("UPDATE records SET sealed = ?1");
        ASSERT_TRUE(upd.ok());
        ASSERT_TRUE(upd->bind(1, ByteView(sealed)).run().ok());
    }
    auto v = reopen();
    ASSERT_TRUE(v.ok());
    auto r = v->get("group", "abcd");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::auth_failed);
    EXPECT_TRUE(mentions(r.error(), "group/abcd"));

    { ASSERT_TRUE(raw(file_).exec("UPDATE records SET sealed = x'00'").ok()); }  // shorter than a tag
    v = reopen();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->get("group", "abcd").error().code, Errc::auth_failed);
}

TEST_F(VaultTest, TheFileHoldsNoPlaintext) {
    const std::vector<std::string> markers = {"MARKER-0001-d7c1e0a94b5f3e28a6c1", "MARKER-0002-9f02b6d4e3a7c51b08d2",
                                              "MARKER-0003-41e8a0c7b2d9f6e35a14"};
    for (const auto& m : markers) ASSERT_EQ(m.size(), 32u);
    const std::string wal = file_.string() + "-wal";
    {
        Vault v = make();
        ASSERT_TRUE(v.put("identity", "self", bytes_of(markers[0])).ok());
        ASSERT_TRUE(v.put("group", "abcd", bytes_of(markers[1])).ok());
        ASSERT_TRUE(v.put("group", "abcd", bytes_of(markers[2])).ok());  // the old sealed value is overwritten
        ASSERT_TRUE(fs::exists(wal));
        const Bytes db_bytes = read_file(file_);
        const Bytes wal_bytes = read_file(wal);
        ASSERT_GT(wal_bytes.size(), 0u);
        for (const auto& m : markers) {
            EXPECT_FALSE(contains(db_bytes, m)) << m;
            EXPECT_FALSE(contains(wal_bytes, m)) << m;
        }
        EXPECT_FALSE(contains(db_bytes, kPassphrase));
        EXPECT_FALSE(contains(wal_bytes, kPassphrase));
        EXPECT_TRUE(contains(wal_bytes, "abcd") || contains(db_bytes, "abcd"));  // names are readable metadata
    }
    const Bytes checkpointed = read_file(file_);
    for (const auto& m : markers) EXPECT_FALSE(contains(checkpointed, m)) << m;
}

TEST_F(VaultTest, RollbackKeepsNothingAndCommitKeepsEverything) {
    Vault v = make();
    ASSERT_TRUE(v.put("group", "kept", bytes_of("before")).ok());

    ASSERT_TRUE(v.begin().ok());
    ASSERT_TRUE(v.put("group", "a", bytes_of("1")).ok());
    ASSERT_TRUE(v.put("group", "kept", bytes_of("changed")).ok());
    ASSERT_TRUE(v.erase("group", "kept").ok());
    ASSERT_TRUE(v.rollback().ok());
    EXPECT_EQ(*v.names("group"), std::vector<std::string>{"kept"});
    EXPECT_EQ(get_text(v, "group", "kept"), "before");

    ASSERT_TRUE(v.begin().ok());
    ASSERT_TRUE(v.put("group", "a", bytes_of("1")).ok());
    ASSERT_TRUE(v.put("group", "b", bytes_of("2")).ok());
    ASSERT_TRUE(v.put("group", "kept", bytes_of("after")).ok());
    ASSERT_TRUE(v.commit().ok());

    auto again = reopen();
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again->names("group"), (std::vector<std::string>{"a", "b", "kept"}));
    EXPECT_EQ(get_text(*again, "group", "b"), "2");
    EXPECT_EQ(get_text(*again, "group", "kept"), "after");
}

TEST_F(VaultTest, AVaultClosedInsideATransactionKeepsNothingOfIt) {
    {
        Vault v = make();
        ASSERT_TRUE(v.begin().ok());
        ASSERT_TRUE(v.put("group", "a", bytes_of("1")).ok());
    }
    auto v = reopen();
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->names("group")->empty());
}

TEST_F(VaultTest, CommittedRecordsSurviveACrash) {
    Vault v = make();
    ASSERT_TRUE(v.put("group", "one", bytes_of("1")).ok());
    ASSERT_TRUE(v.begin().ok());
    ASSERT_TRUE(v.put("group", "two", bytes_of("2")).ok());
    ASSERT_TRUE(v.put("group", "three", bytes_of("3")).ok());
    ASSERT_TRUE(v.commit().ok());
    ASSERT_TRUE(v.begin().ok());
    ASSERT_TRUE(v.put("group", "uncommitted", bytes_of("x")).ok());

    // The files as a power cut leaves them: the vault is still open and never checkpointed.
    const fs::path copy = dir_ / "crash" / "member.vault";
    fs::create_directories(copy.parent_path());
    fs::copy_file(file_, copy);
    fs::copy_file(file_.string() + "-wal", copy.string() + "-wal");

    auto recovered = Vault::open(copy, bytes_of(kPassphrase));
    ASSERT_TRUE(recovered.ok()) << recovered.error().message;
    EXPECT_EQ(*recovered->names("group"), (std::vector<std::string>{"one", "three", "two"}));
    EXPECT_EQ(get_text(*recovered, "group", "three"), "3");
    ASSERT_TRUE(v.rollback().ok());
}

TEST_F(VaultTest, LimitsAreStoredAndReused) {
    const crypto::PwhashLimits chosen{kFast.opslimit + 1, kFast.memlimit * 2};
    {
        auto v = Vault::create(file_, bytes_of(kPassphrase), chosen);
        ASSERT_TRUE(v.ok()) << v.error().message;
        ASSERT_TRUE(v->put("k", "n", bytes_of("v")).ok());
    }
    {
        auto db = raw(file_);
        auto st = db.prepare("SELECT opslimit, memlimit, length(salt) FROM meta");
        ASSERT_TRUE(st.ok() && *st->step());
        EXPECT_EQ(static_cast<unsigned long long>(st->column_int(0)), chosen.opslimit);
        EXPECT_EQ(static_cast<std::size_t>(st->column_int(1)), chosen.memlimit);
        EXPECT_EQ(st->column_int(2), 16);
    }
    auto v = reopen();  // opens only if the same limits derive the same key
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(get_text(*v, "k", "n"), "v");

    // Lowered limits derive another key: the check record then refuses the passphrase.
    { ASSERT_TRUE(raw(file_).exec("UPDATE meta SET opslimit = opslimit - 1").ok()); }
    auto lowered = reopen();
    ASSERT_FALSE(lowered.ok());
    EXPECT_EQ(lowered.error().message, "wrong passphrase");

    // Absurd limits in a tampered file are refused before Argon2id runs.
    { ASSERT_TRUE(raw(file_).exec("UPDATE meta SET opslimit = 1000000000").ok()); }
    auto absurd = reopen();
    ASSERT_FALSE(absurd.ok());
    EXPECT_EQ(absurd.error().code, Errc::malformed);
}

TEST_F(VaultTest, EachWriteHasAFreshNonce) {
    Vault v = make();
    ASSERT_TRUE(v.put("k", "n", bytes_of("same")).ok());
    Bytes first;
    {
        auto db = raw(file_);
        auto st = db.prepare("SELECT nonce, sealed FROM records");
        ASSERT_TRUE(st.ok() && *st->step());
        first = st->column_blob(0);
        EXPECT_EQ(first.size(), crypto::kAeadNonceBytes);
    }
    ASSERT_TRUE(v.put("k", "n", bytes_of("same")).ok());
    auto db = raw(file_);
    auto st = db.prepare("SELECT nonce FROM records");
    ASSERT_TRUE(st.ok() && *st->step());
    EXPECT_NE(st->column_blob(0), first);
}

}  // namespace
}  // namespace twofold::member_store
