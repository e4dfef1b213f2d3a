// A GMainContext with its GMainLoop running on a thread of its own (private to src/ice/).
//
// libnice delivers its signals and timers through the context it was created with; running that
// context on a dedicated thread keeps GLib out of the caller's event loop, and running every
// libnice call on it (invoke) means our handlers never race with libnice's.
#pragma once

#include <functional>
#include <thread>

#include <glib.h>

namespace twofold::ice {

class MainLoopThread {
  public:
    MainLoopThread();   // creates the context and starts the loop
    ~MainLoopThread();  // quits the loop and joins the thread
    MainLoopThread(const MainLoopThread&) = delete;
    MainLoopThread& operator=(const MainLoopThread&) = delete;

    GMainContext* context() const noexcept { return context_; }
    // Runs fn on the loop's thread and waits for it to return.
    void invoke(const std::function<void()>& fn);
    // Quits the loop, joins the thread, then dispatches what is still pending on the caller's
    // thread, so callbacks that hold a pointer to the owner run before the owner goes. Idempotent;
    // invoke() must not be called afterwards.
    void stop();

  private:
    GMainContext* context_;
    GMainLoop* loop_;
    std::thread thread_;
};

}  // namespace twofold::ice
