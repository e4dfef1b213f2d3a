// The private PostgreSQL server the store tests and the benchmark start: it runs, keeps what was
// committed across a stop, a crash and a restart, and leaves nothing behind: neither when its
// owner destroys it nor when its owner is killed with SIGKILL.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "proc/postgres_server.h"

namespace twofold::proc {
namespace {

using namespace std::chrono_literals;

// Gone, or a zombie waiting for a reaper (the owner's orphans go to pid 1, which may be slow to reap).
bool process_gone(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    const auto state = line.find(") ");
    return state != std::string::npos && line[state + 2] == 'Z';
}

// Waits until `done` holds, up to `limit`.
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds limit = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

TEST(PostgresServer, KeepsCommittedRowsAcrossStopAndCrashAndRemovesEverything) {
    std::filesystem::path dir;
    pid_t postmaster = -1;
    {
        auto server = PostgresServer::start();
        ASSERT_TRUE(server) << server.error().message;
        dir = server->socket_dir();
        EXPECT_TRUE(std::filesystem::exists(dir / ".s.PGSQL.5432"));
        ASSERT_TRUE(server->create_database("kept"));
        ASSERT_TRUE(server->execute("kept", "CREATE TABLE t(v integer); INSERT INTO t VALUES (7)"));

        ASSERT_TRUE(server->stop());
        EXPECT_FALSE(server->execute("kept", "SELECT 1")) << "stopped, yet it answers";
        ASSERT_TRUE(server->start_again());
        server->kill();
        ASSERT_TRUE(server->start_again());
        auto dump = server->dump("kept");
        ASSERT_TRUE(dump) << dump.error().message;
        EXPECT_NE(dump->find("COPY public.t (v) FROM stdin;\n7\n"), std::string::npos) << *dump;

        const auto bad = server->execute("kept", "SELECT * FROM no_such_table");
        ASSERT_FALSE(bad);
        EXPECT_NE(bad.error().message.find("no_such_table"), std::string::npos) << bad.error().message;
        postmaster = server->postmaster_pid();
    }
    EXPECT_FALSE(std::filesystem::exists(dir));
    EXPECT_TRUE(process_gone(postmaster));
}

TEST(PostgresServer, ListensOnLoopbackWithAPassword) {
    auto server = PostgresServer::start({.tcp = true, .template_dir = {}});
    ASSERT_TRUE(server) << server.error().message;
    const std::string url = server->tcp_url("postgres");
    EXPECT_EQ(url.rfind("postgresql://postgres:", 0), 0u) << url;
    EXPECT_NE(url.find("@127.0.0.1:" + std::to_string(server->port()) + "/postgres"), std::string::npos) << url;
    PGconn* conn = PQconnectdb(url.c_str());
    EXPECT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
    PQfinish(conn);
    const std::string wrong = url.substr(0, url.find('@') - 1) + "x" + url.substr(url.find('@'));
    conn = PQconnectdb(wrong.c_str());
    EXPECT_NE(PQstatus(conn), CONNECTION_OK) << "a wrong password was let in";
    PQfinish(conn);
}

TEST(PostgresServer, ServersCopyOneTemplateCluster) {
    const auto templ = std::filesystem::temp_directory_path() / ("twofold-pg-template-" + std::to_string(::getpid()));
    struct Remove {
        std::filesystem::path p;
        ~Remove() {
            std::filesystem::remove_all(p);
            std::filesystem::remove(p.string() + ".lock");
        }
    } remove{templ};
    auto first = PostgresServer::start({.tcp = false, .template_dir = templ});
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_TRUE(std::filesystem::exists(templ / "PG_VERSION"));
    ASSERT_TRUE(first->execute("postgres", "CREATE TABLE only_in_first(v integer)"));
    auto second = PostgresServer::start({.tcp = false, .template_dir = templ});
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_NE(first->socket_dir(), second->socket_dir());
    EXPECT_TRUE(second->execute("postgres", "CREATE TABLE only_in_first(v integer)")) << "the servers share data";
}

// The owner dies without running a destructor (an ASan abort, a runner's SIGKILL): the watcher
// kills the server and removes its directory.
TEST(PostgresServer, OwnerKilledLeavesNothingBehind) {
    int report[2];
    ASSERT_EQ(::pipe(report), 0);
    const pid_t owner = ::fork();
    if (owner == 0) {
        ::close(report[0]);
        auto server = PostgresServer::start();
        if (!server) ::_exit(1);
        const std::string line = server->socket_dir().string() + " " + std::to_string(server->postmaster_pid()) + "\n";
        (void)!::write(report[1], line.data(), line.size());
        ::pause();
        ::_exit(0);
    }
    ::close(report[1]);
    std::string line;
    char c;
    while (::read(report[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    ::close(report[0]);
    ASSERT_FALSE(line.empty()) << "the owner could not start a server";
    const std::filesystem::path dir = line.substr(0, line.find(' '));
    const pid_t postmaster = std::stoi(line.substr(line.find(' ') + 1));
    ASSERT_TRUE(std::filesystem::exists(dir));
    ASSERT_FALSE(process_gone(postmaster));

    ::kill(owner, SIGKILL);
    ::waitpid(owner, nullptr, 0);
    EXPECT_TRUE(eventually([&] { return process_gone(postmaster); })) << "postgres outlived its owner";
    EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(dir); })) << dir << " was left behind";
}

}  // namespace
}  // namespace twofold::proc
