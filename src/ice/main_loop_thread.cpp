#include "ice/main_loop_thread.h"

#include <condition_variable>
#include <mutex>

namespace twofold::ice {

MainLoopThread::MainLoopThread()
    : context_(g_main_context_new()), loop_(g_main_loop_new(context_, FALSE)) {
    thread_ = std::thread([this] {
        // Sources attached by libnice without a context argument land here, not in the default.
        g_main_context_push_thread_default(context_);
        g_main_loop_run(loop_);
        g_main_context_pop_thread_default(context_);
    });
    invoke([] {});  // returns once the loop runs, so a quit() can no longer come before run()
}

MainLoopThread::~MainLoopThread() {
    stop();
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);
}

void MainLoopThread::stop() {
    if (!thread_.joinable()) return;
    g_main_loop_quit(loop_);
    thread_.join();
    g_main_context_push_thread_default(context_);
    while (g_main_context_iteration(context_, FALSE)) {
    }
    g_main_context_pop_thread_default(context_);
}

namespace {
struct Call {
    const std::function<void()>* fn;
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
};

gboolean run_call(gpointer data) {
    auto* call = static_cast<Call*>(data);
    (*call->fn)();
    std::lock_guard lock(call->mutex);
    call->done = true;
    call->done_cv.notify_one();
    return G_SOURCE_REMOVE;
}
}  // namespace

void MainLoopThread::invoke(const std::function<void()>& fn) {
    if (g_main_context_is_owner(context_)) {
        fn();
        return;
    }
    Call call{&fn, {}, {}, false};
    g_main_context_invoke(context_, run_call, &call);
    std::unique_lock lock(call.mutex);
    call.done_cv.wait(lock, [&] { return call.done; });
}

}  // namespace twofold::ice
