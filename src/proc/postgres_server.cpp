#include "proc/postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

namespace twofold::proc {

namespace {

using namespace std::chrono_literals;

constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin/";
constexpr const char* kServerUser = "postgres";
constexpr auto kStartTimeout = 60s;  // 2 cores shared by several test runs
constexpr auto kStopTimeout = 30s;

// Runs in the watcher process (its own session): waits for the owner to say "done" or to die
// (EOF on stdin), and in the second case kills the server's group and removes the directory.
constexpr const char* kWatcherScript = R"sh(
read -r word
[ "$word" = done ] && exit 0
pgid=$(cat "$1/pgid" 2>/dev/null)
[ -n "$pgid" ] && kill -KILL "-$pgid" 2>/dev/null
# Its processes may be zombies nobody reaps yet (kill -0 still finds them): wait briefly, twice.
sleep 0.3; rm -rf -- "$1"; sleep 0.3; rm -rf -- "$1"
)sh";

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The last lines of a log, for an error message that says why the server did not start.
std::string tail(const std::filesystem::path& log) {
    const std::string text = read_text(log);
    return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

Error failure(const std::string& what, const std::filesystem::path& log) {
    return make_error(Errc::unavailable, what + ": " + tail(log));
}

int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    (void)::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

// What a child needs, prepared before fork: after it only async-signal-safe calls are made.
struct Launch {
    std::vector<std::string> argv;
    std::filesystem::path log;
    std::filesystem::path cwd;
    bool drop = false;
    uid_t uid = 0;
    gid_t gid = 0;
};

// Starts the program in its own process group, stdout and stderr appended to `log`.
pid_t spawn(const Launch& l) {
    std::vector<char*> args;
    for (const auto& a : l.argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const char* env[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", "LANG=C", "TZ=UTC", nullptr};
    const int log = ::open(l.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log < 0 || null < 0) {
        if (log >= 0) ::close(log);
        if (null >= 0) ::close(null);
        return -1;
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);  // its own group: one kill reaches the postmaster and every backend
        ::dup2(null, STDIN_FILENO);
        ::dup2(log, STDOUT_FILENO);
        ::dup2(log, STDERR_FILENO);
        if (::chdir(l.cwd.c_str()) != 0) ::_exit(126);
        if (l.drop && (::setgroups(0, nullptr) != 0 || ::setgid(l.gid) != 0 || ::setuid(l.uid) != 0)) ::_exit(126);
        ::execve(args[0], args.data(), const_cast<char* const*>(env));
        ::_exit(127);
    }
    ::close(log);
    ::close(null);
    return pid;
}

int run_to_end(const Launch& l) {
    const pid_t pid = spawn(l);
    if (pid < 0) return -1;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// postmaster.pid's eighth line says "ready" once the server accepts connections; its first line
// names the postmaster (a file left by a killed one says "ready" too).
bool server_ready(const std::filesystem::path& data, pid_t postmaster) {
    std::istringstream lines(read_text(data / "postmaster.pid"));
    std::string line;
    for (int i = 0; i < 8 && std::getline(lines, line); ++i) {
        if (i == 0 && line != std::to_string(postmaster)) return false;
        if (i == 7) return line.rfind("ready", 0) == 0;
    }
    return false;
}

// Whether a process of the group still runs (a zombie has already let go of shared memory).
bool group_alive(pid_t pgid) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
        const std::string stat = read_text(entry.path() / "stat");
        const auto end = stat.rfind(") ");
        if (end == std::string::npos) continue;
        std::istringstream fields(stat.substr(end + 2));
        char state = 0;
        long ppid = 0, pgrp = 0;
        fields >> state >> ppid >> pgrp;
        if (pgrp == pgid && state != 'Z' && state != 'X') return true;
    }
    return false;
}

bool valid_name(const std::string& name) {
    if (name.empty() || name.size() > 63) return false;
    for (char c : name) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    }
    return true;
}

}  // namespace

PostgresServer::PostgresServer(PostgresServer&& o) noexcept { *this = std::move(o); }

PostgresServer& PostgresServer::operator=(PostgresServer&& o) noexcept {
    if (this == &o) return *this;
    cleanup();
    dir_ = std::exchange(o.dir_, {});
    user_ = std::move(o.user_);
    password_ = std::move(o.password_);
    uid_ = o.uid_;
    gid_ = o.gid_;
    drop_privileges_ = o.drop_privileges_;
    tcp_ = o.tcp_;
    port_ = o.port_;
    postmaster_ = std::exchange(o.postmaster_, -1);
    watcher_fd_ = std::exchange(o.watcher_fd_, -1);
    watcher_ = std::exchange(o.watcher_, -1);
    return *this;
}

PostgresServer::~PostgresServer() { cleanup(); }

void PostgresServer::cleanup() {
    // The data is thrown away: no shutdown checkpoint to wait for.
    if (postmaster_ > 0 && !stop(StopMode::immediate)) kill();
    if (!dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        dir_.clear();
    }
    if (watcher_fd_ >= 0) {
        (void)!::write(watcher_fd_, "done\n", 5);
        ::close(watcher_fd_);
        watcher_fd_ = -1;
    }
    if (watcher_ > 0) {
        ::waitpid(watcher_, nullptr, 0);
        watcher_ = -1;
    }
}

Result<PostgresServer> PostgresServer::start(Options options) {
    PostgresServer server;
    if (auto s = server.init(options); !s) return s.error();
    return server;
}

Status PostgresServer::init(Options options) {
    tcp_ = options.tcp;
    user_ = kServerUser;
    if (::geteuid() == 0) {
        // Root may not run postgres: the server runs as the unprivileged system user.
        const passwd* pw = ::getpwnam(kServerUser);
        if (pw == nullptr) return make_error(Errc::unavailable, "no user 'postgres' to run PostgreSQL as");
        uid_ = pw->pw_uid;
        gid_ = pw->pw_gid;
        drop_privileges_ = true;
    } else {
        uid_ = ::geteuid();
        gid_ = ::getegid();
    }
    std::string templ = (std::filesystem::temp_directory_path() /
                         ("twofold-pg-" + std::to_string(::getpid()) + "-XXXXXX")).string();
    if (::mkdtemp(templ.data()) == nullptr) return make_error(Errc::internal, "mkdtemp: " + std::string(std::strerror(errno)));
    dir_ = templ;
    if (::chown(dir_.c_str(), uid_, gid_) != 0 || ::chmod(dir_.c_str(), 0700) != 0) {
        return make_error(Errc::internal, "cannot hand " + dir_.string() + " to the server's user");
    }

    // The watcher first, so that from here on nothing outlives this process.
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return make_error(Errc::internal, "pipe: " + std::string(std::strerror(errno)));
    const std::string dir = dir_.string();
    const char* watcher_argv[] = {"/bin/sh", "-c", kWatcherScript, "sh", dir.c_str(), nullptr};
    watcher_ = ::fork();
    if (watcher_ == 0) {
        ::setsid();  // outside the test's group and session: survives the runner killing them
        ::dup2(pipe_fds[0], STDIN_FILENO);
        ::close_range(3, ~0U, 0);  // holds no socket or pipe of the owner open
        ::execv("/bin/sh", const_cast<char* const*>(watcher_argv));
        ::_exit(127);
    }
    ::close(pipe_fds[0]);
    watcher_fd_ = pipe_fds[1];
    if (watcher_ < 0) return make_error(Errc::internal, "fork: " + std::string(std::strerror(errno)));

    const auto data = dir_ / "data";
    if (auto s = options.template_dir.empty() ? initdb(data, /*small=*/false) : copy_template(options.template_dir); !s) return s;

    port_ = tcp_ ? free_loopback_port() : 5432;  // without TCP the port only names the socket
    Status started = run_server();
    for (int attempt = 0; !started && tcp_ && attempt < 4; ++attempt) {
        port_ = free_loopback_port();  // another process took the port meanwhile
        started = run_server();
    }
    if (!started || !tcp_) return started;
    unsigned char raw[18];
    randombytes_buf(raw, sizeof raw);
    for (unsigned char c : raw) password_ += "0123456789abcdef"[c & 15];
    return execute("postgres", "ALTER USER " + user_ + " PASSWORD '" + password_ + "'");
}

Status PostgresServer::initdb(const std::filesystem::path& data, bool small) {
    std::vector<std::string> argv = {std::string(kBinDir) + "initdb", "-D", data.string(), "-U", user_,
                                           "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8",
                                           "--locale=C",
                                           // initdb's own fsync of the fresh cluster only guards against a
                                           // machine crash during set-up; the server runs with fsync on.
                                           "--no-sync", "--no-instructions"};
    // A template is copied for every test case: 1 MB WAL segments instead of 16 MB keep the copy
    // small. Settings that matter for durability are not touched.
    if (small) argv.push_back("--wal-segsize=1");
    const auto log = dir_ / "initdb.log";
    if (run_to_end({argv, log, dir_, drop_privileges_, uid_, gid_}) != 0) return failure("initdb failed", log);
    return {};
}

Status PostgresServer::copy_template(const std::filesystem::path& template_dir) {
    const auto data = dir_ / "data";
    const auto log = dir_ / "copy.log";
    std::error_code ec;
    std::filesystem::create_directories(template_dir.parent_path(), ec);
    const std::string lock_path = template_dir.string() + ".lock";
    const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0 || ::flock(lock, LOCK_EX) != 0) {
        if (lock >= 0) ::close(lock);
        return make_error(Errc::internal, "cannot lock " + lock_path);
    }
    Status made;
    if (!std::filesystem::exists(template_dir)) {
        // Made here, copied there, renamed: a template that exists is complete.
        const auto partial = template_dir.string() + ".partial";
        std::filesystem::remove_all(partial, ec);
        made = initdb(data, /*small=*/true);
        if (made && run_to_end({{"/bin/cp", "-a", data.string(), partial}, log, dir_, false, 0, 0}) != 0) {
            made = failure("cannot copy the fresh cluster to " + partial, log);
        }
        if (made) std::filesystem::rename(partial, template_dir, ec);
        if (made && ec) made = make_error(Errc::internal, "cannot rename " + partial + ": " + ec.message());
        ::close(lock);
        return made;  // this server runs on the cluster initdb just made
    }
    ::close(lock);  // a complete template is only ever read
    // cp -a keeps the owner (the server's user) and the 0700 mode the server insists on.
    if (run_to_end({{"/bin/cp", "-a", template_dir.string(), data.string()}, log, dir_, false, 0, 0}) != 0) {
        return failure("cannot copy " + template_dir.string(), log);
    }
    return {};
}

Status PostgresServer::run_server() {
    const auto data = dir_ / "data";
    const auto log = dir_ / "postgres.log";
    const std::vector<std::string> argv = {std::string(kBinDir) + "postgres", "-D", data.string(),
                                           "-k", dir_.string(), "-p", std::to_string(port_),
                                           "-c", tcp_ ? "listen_addresses=127.0.0.1" : "listen_addresses=",
                                           // Durability as in production: a commit is on disk when it returns.
                                           "-c", "fsync=on", "-c", "synchronous_commit=on",
                                           "-c", "full_page_writes=on"};
    postmaster_ = spawn({argv, log, dir_, drop_privileges_, uid_, gid_});
    if (postmaster_ < 0) return make_error(Errc::internal, "fork: " + std::string(std::strerror(errno)));
    std::ofstream(dir_ / "pgid") << postmaster_ << "\n";  // for the watcher
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (!server_ready(data, postmaster_)) {
        int status = 0;
        if (::waitpid(postmaster_, &status, WNOHANG) == postmaster_) {
            postmaster_ = -1;
            std::filesystem::remove(dir_ / "pgid");
            return failure("postgres exited at start", log);
        }
        if (std::chrono::steady_clock::now() > deadline) {
            kill();
            return failure("postgres did not become ready", log);
        }
        std::this_thread::sleep_for(10ms);
    }
    return {};
}

Status PostgresServer::stop(StopMode mode) {
    if (postmaster_ <= 0) return {};
    const int signal = mode == StopMode::smart ? SIGTERM : mode == StopMode::fast ? SIGINT : SIGQUIT;
    ::kill(postmaster_, signal);
    const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
    for (;;) {
        int status = 0;
        if (::waitpid(postmaster_, &status, WNOHANG) == postmaster_) break;
        if (std::chrono::steady_clock::now() > deadline) {
            kill();
            return make_error(Errc::timeout, "postgres did not stop in time; killed");
        }
        std::this_thread::sleep_for(10ms);
    }
    ::kill(-postmaster_, SIGKILL);  // a backend that outlived its postmaster
    postmaster_ = -1;
    std::filesystem::remove(dir_ / "pgid");
    return {};
}

void PostgresServer::kill() {
    if (postmaster_ <= 0) return;
    ::kill(-postmaster_, SIGKILL);
    while (::waitpid(postmaster_, nullptr, 0) < 0 && errno == EINTR) {
    }
    // Backends notice their postmaster's death and exit; give the group a moment to empty so a
    // restart does not find their shared memory still attached.
    for (int i = 0; i < 500 && group_alive(postmaster_); ++i) std::this_thread::sleep_for(10ms);
    postmaster_ = -1;
    std::error_code ec;
    std::filesystem::remove(dir_ / "pgid", ec);
}

Status PostgresServer::start_again() {
    if (postmaster_ > 0) return {};
    return run_server();
}

std::string PostgresServer::url(const std::string& database) const {
    return "postgresql://" + user_ + "@/" + database + "?host=" + dir_.string() + "&port=" + std::to_string(port_);
}

std::string PostgresServer::tcp_url(const std::string& database) const {
    return "postgresql://" + user_ + ":" + password_ + "@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

Status PostgresServer::execute(const std::string& database, const std::string& sql) const {
    const std::string conninfo = "host=" + dir_.string() + " port=" + std::to_string(port_) + " user=" + user_ +
                                 " dbname=" + database;
    PGconn* conn = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
        std::string message = PQerrorMessage(conn);
        PQfinish(conn);
        return make_error(Errc::unavailable, "connect to " + database + ": " + message);
    }
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    PGresult* res = PQexec(conn, sql.c_str());
    const auto st = PQresultStatus(res);
    Status out;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) out = make_error(Errc::internal, PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
    return out;
}

Result<std::string> PostgresServer::create_database(const std::string& name) {
    if (!valid_name(name)) return make_error(Errc::invalid_argument, "bad database name: " + name);
    if (auto s = execute("postgres", "CREATE DATABASE " + name); !s) return s.error();
    return name;
}

Status PostgresServer::drop_database(const std::string& name) {
    if (!valid_name(name)) return make_error(Errc::invalid_argument, "bad database name: " + name);
    return execute("postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

Result<std::string> PostgresServer::dump(const std::string& database) const {
    const auto out = dir_ / ("dump-" + database + ".sql");
    const auto log = dir_ / "pg_dump.log";
    const std::vector<std::string> argv = {std::string(kBinDir) + "pg_dump", "-h", dir_.string(), "-p",
                                           std::to_string(port_), "-U", user_, "-f", out.string(), database};
    // pg_dump runs as the caller: it only needs the socket, and writes its file as the caller.
    if (run_to_end({argv, log, dir_, false, 0, 0}) != 0) return failure("pg_dump failed", log);
    std::string text = read_text(out);
    std::filesystem::remove(out);
    return text;
}

}  // namespace twofold::proc
