// A server binary run as a child process (crash tests, benchmarks): started with fork and execve,
// its first stdout line read, killed and reaped in every path (the destructor sends SIGKILL; the
// kernel sends it too if the parent dies first).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace twofold::proc {

class ChildProcess {
  public:
    // PR_SET_PDEATHSIG fires when the thread that forked exits, not only the process: start
    // children from a thread that outlives them (the test's main thread).
    explicit ChildProcess(const std::vector<std::string>& argv) {
        int out[2];
        // Close-on-exec: other children started meanwhile must not hold this pipe open.
        if (::pipe2(out, O_CLOEXEC) != 0) return;
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        const pid_t parent = ::getpid();
        pid_ = ::fork();
        if (pid_ == 0) {
            // The child dies with its parent, so a test that crashes (an ASan abort skips every
            // destructor) leaves no server behind. Only async-signal-safe calls until execve.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(127);  // the parent is already gone
            // dup2 clears close-on-exec on the copy; if the pipe already is fd 1, clear it here.
            if (out[1] == STDOUT_FILENO) {
                ::fcntl(out[1], F_SETFD, 0);
            } else {
                ::dup2(out[1], STDOUT_FILENO);
            }
            ::execve(args[0], args.data(), environ);
            ::_exit(127);
        }
        ::close(out[1]);
        if (pid_ < 0) {
            ::close(out[0]);
            return;
        }
        stdout_fd_ = out[0];
    }
    ~ChildProcess() {
        kill(SIGKILL);
        if (stdout_fd_ >= 0) ::close(stdout_fd_);
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    bool started() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }

    static constexpr std::chrono::milliseconds kNoTimeout{-1};

    // The first line the child prints (its "listening on" line), or "" if it exits first or
    // prints no whole line within `timeout`.
    std::string first_line(std::chrono::milliseconds timeout = kNoTimeout) {
        std::string line;
        if (stdout_fd_ < 0) return line;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            int wait_ms = -1;
            if (timeout >= std::chrono::milliseconds::zero()) {
                const auto left =
                    std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
                if (left.count() <= 0) return {};
                wait_ms = static_cast<int>(std::min<std::chrono::milliseconds::rep>(left.count(), 60'000));
            }
            pollfd p{stdout_fd_, POLLIN, 0};
            const int ready = ::poll(&p, 1, wait_ms);
            if (ready < 0 && errno != EINTR) return {};
            if (ready <= 0) continue;  // interrupted, or a slice of the timeout passed
            char c;
            if (::read(stdout_fd_, &c, 1) != 1) return {};  // the child exited (or closed stdout)
            if (c == '\n') return line;
            line.push_back(c);
        }
    }

    // Sends a signal and waits for the exit; returns the wait status.
    int kill(int signal) {
        if (pid_ <= 0) return -1;
        ::kill(pid_, signal);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }

    // Sends SIGTERM and waits up to `timeout` for the exit; then SIGKILL. Returns the wait status
    // of a child that exited in time, -1 otherwise.
    int terminate(std::chrono::milliseconds timeout) {
        if (pid_ <= 0) return -1;
        ::kill(pid_, SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return status;
            }
            if (std::chrono::steady_clock::now() >= deadline) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        kill(SIGKILL);
        return -1;
    }

  private:
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
};

// "... on HOST:PORT ... tls-fingerprint sha256:HEX ..." -> the word after `key`.
inline std::string word_after(const std::string& line, const std::string& key) {
    const auto at = line.find(key + " ");
    if (at == std::string::npos) return {};
    const auto start = at + key.size() + 1;
    return line.substr(start, line.find(' ', start) - start);
}

}  // namespace twofold::proc
