// A server binary run as a child process (crash tests, benchmarks): started with fork and execve,
// its first stdout line read, killed and reaped in every path (the destructor sends SIGKILL; the
// kernel sends it too if the parent dies first).
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace twofold::proc {

class ChildProcess {
  public:
    explicit ChildProcess(const std::vector<std::string>& argv) {
        int out[2];
        if (::pipe(out) != 0) return;
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
            ::dup2(out[1], STDOUT_FILENO);
            ::close(out[0]);
            ::close(out[1]);
            ::execve(args[0], args.data(), environ);
            ::_exit(127);
        }
        ::close(out[1]);
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

    // The first line the child prints (its "listening on" line), or "" if it exits first.
    std::string first_line() {
        std::string line;
        char c;
        while (::read(stdout_fd_, &c, 1) == 1 && c != '\n') line.push_back(c);
        return line;
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
