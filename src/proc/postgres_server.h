// A private PostgreSQL server for one test binary or one benchmark run: initdb into a fresh
// temporary directory, the server run as the unprivileged user `postgres` (when started as root)
// in its own process group, listening on a Unix socket inside that directory (and, if asked, on a
// random loopback port with a password), fsync and synchronous_commit on as in production.
//
// Cleanup happens in every path: the destructor stops the server and removes the directory; a
// watcher process (its own session, so a test runner killing the test's group spares it) sees the
// owner die, even by SIGKILL or an ASan abort, and then kills the server's group and removes the
// directory itself.
//
// Several tests share one server and take a database each (create_database). stop/start/kill let a
// test restart the database under load or take it away.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "core/result.h"

namespace twofold::proc {

class PostgresServer {
  public:
    struct Options {
        bool tcp = false;  // also listen on 127.0.0.1:<random port>, password authentication
        // A fresh cluster kept here (made by the first process that needs it, under a lock) and
        // copied for each server: much faster than initdb for test binaries whose every case is
        // its own process. Empty: initdb each time.
        std::filesystem::path template_dir;
    };

    // initdb and start. Takes a second or two.
    static Result<PostgresServer> start(Options options);
    static Result<PostgresServer> start() { return start(Options{}); }

    PostgresServer(PostgresServer&&) noexcept;
    PostgresServer& operator=(PostgresServer&&) noexcept;
    ~PostgresServer();

    // A fresh, empty database (name: letters, digits, underscore). Returns its name.
    Result<std::string> create_database(const std::string& name);
    Status drop_database(const std::string& name);

    // libpq URLs for `twofold-gms --store`: over the Unix socket, or over loopback TCP (with the
    // password; Options::tcp only).
    std::string url(const std::string& database) const;
    std::string tcp_url(const std::string& database) const;
    // The superuser's name, the socket directory, the port (the socket's name when not tcp).
    const std::string& user() const { return user_; }
    const std::filesystem::path& socket_dir() const { return dir_; }
    int port() const { return port_; }

    // One SQL command as the superuser in `database`; its error text on failure. For tests that
    // tamper with a schema or cut connections (pg_terminate_backend).
    Status execute(const std::string& database, const std::string& sql) const;
    // `pg_dump` of the database, as plain SQL: everything an administrator can read.
    Result<std::string> dump(const std::string& database) const;

    enum class StopMode { smart, fast, immediate };
    // Stops the server (fast: running transactions are rolled back, connections closed; immediate:
    // no checkpoint, recovery on the next start). Data stays; start() brings it back.
    Status stop(StopMode mode = StopMode::fast);
    // SIGKILL to the server's whole process group: a crash. Data stays (WAL recovery on start()).
    void kill();
    // Starts the stopped server again on the same directory, socket and port.
    Status start_again();
    bool running() const { return postmaster_ > 0; }
    pid_t postmaster_pid() const { return postmaster_; }

  private:
    PostgresServer() = default;
    Status init(Options options);
    Status initdb(const std::filesystem::path& data, bool small);
    Status copy_template(const std::filesystem::path& template_dir);
    Status run_server();
    void cleanup();

    std::filesystem::path dir_;  // owned by the server's user, mode 0700; socket and data inside
    std::string user_;
    std::string password_;       // tcp only
    uid_t uid_ = 0;
    gid_t gid_ = 0;
    bool drop_privileges_ = false;
    bool tcp_ = false;
    int port_ = 0;
    pid_t postmaster_ = -1;
    int watcher_fd_ = -1;        // write end of the watcher's pipe: EOF means "owner gone, clean up"
    pid_t watcher_ = -1;
};

}  // namespace twofold::proc
