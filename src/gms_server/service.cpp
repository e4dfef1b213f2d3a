#include "gms_server/service.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "crypto/hex.h"
#include "gms_server/lan_publisher.h"
#include "gms_pg/postgres_store.h"
#include "gms_server/open_store.h"
#include "gms_server/relay_publisher.h"
#include "net/tls_identity.h"
#include "store/key_file.h"
#include "wire/error_code.h"
#include "wire/message.h"
#include "wire/validate.h"

namespace twofold::gms {

namespace {

// When each rekey was made (before its commit), to the microsecond: `twofold-bench lan-rekey`
// measures from here to each member holding the new RN2.
void log_rekey_made(const Bytes& signed_rekey) {
    v1::SignedRekey r;
    if (!r.ParseFromArray(signed_rekey.data(), static_cast<int>(signed_rekey.size()))) return;
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    spdlog::debug("rekey made: group {} epoch {} at {} us", crypto::to_hex(as_bytes(r.rekey().group_id())),
                  r.rekey().epoch(), us);
}

std::uint64_t now_ms() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

Result<crypto::SigningKey> load_signing_key(const std::filesystem::path& dir) {
    auto seed = store::load_or_create_key_file(dir / "signing.key", crypto::kSignSeedBytes);
    if (!seed) return seed.error();
    return crypto::SigningKey::from_seed(seed->span());
}

}  // namespace

namespace {

// The GMS's two keys: its TLS identity and the Ed25519 key that signs statements.
struct Keys {
    net::TlsIdentity tls;
    crypto::SigningKey signing;
};

Result<Keys> load_or_create_keys(const std::filesystem::path& data_dir) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (ec) return make_error(Errc::unavailable, "cannot create " + data_dir.string() + ": " + ec.message());
    std::filesystem::permissions(data_dir, std::filesystem::perms::owner_all, ec);
    auto tls = net::load_or_create_tls_identity(data_dir, "twofold-gms");
    if (!tls) return tls.error();
    auto key = load_signing_key(data_dir);
    if (!key) return key.error();
    return Keys{std::move(*tls), std::move(*key)};
}

Identity identity_of(const Keys& keys) {
    return Identity{keys.tls.fingerprint, crypto::to_hex(keys.signing.public_key())};
}

}  // namespace

Result<Identity> load_or_create_identity(const std::filesystem::path& data_dir) {
    auto keys = load_or_create_keys(data_dir);
    if (!keys) return keys.error();
    return identity_of(*keys);
}

struct detail::ServiceState {
    ServiceOptions options;
    Identity identity;
    std::unique_ptr<Store> store;
    GmsCore core;
    std::unique_ptr<net::TlsServer> server;
    std::unordered_map<ClientId, net::Connection*> connections;
    std::vector<Outgoing> outbox;
    std::unique_ptr<RelayPublisher> publisher;  // with --relay
    std::unique_ptr<LanPublisher> lan;          // with --multicast-interface
    bool broken = false;  // a commit failed: memory is ahead of disk
    bool lease_lost = false;  // still_leader said no (broken is set too)

    // The commit thread (decision 23). The server thread closes a batch, seals its journal and
    // queues it with the batch's answers; the commit thread writes everything queued in one
    // transaction (one fsync, so batches that queue up behind a slow fsync share the next one),
    // then hands the answers back, in order, to the server thread, which sends them. Meanwhile
    // the server thread reads and handles the next batch instead of waiting on the disk.
    struct Batch {
        Journal journal;
        std::vector<Outgoing> outbox;
    };
    std::mutex mutex;
    std::condition_variable work_ready;            // the commit thread waits for batches
    std::condition_variable all_done;              // drain() waits for the commit thread
    std::deque<Batch> queued;                      // guarded by mutex
    std::vector<std::vector<Outgoing>> committed;  // guarded: on disk, not yet sent, in order
    bool committing = false;                       // guarded
    bool release_posted = false;                   // guarded
    bool quit = false;                             // guarded
    std::string failure;                           // guarded: why the commit failed
    std::atomic<bool> commit_failed{false};        // set under mutex; flush re-checks it there
    std::thread committer;

    ServiceState(ServiceOptions o, Identity id, std::unique_ptr<Store> s, GmsCore c)
        : options(std::move(o)), identity(std::move(id)), store(std::move(s)), core(std::move(c)) {}
    ~ServiceState() { stop_committer(); }
    ServiceState(const ServiceState&) = delete;
    ServiceState& operator=(const ServiceState&) = delete;

    // Closes a batch: applies its changes, then queues the journal for commit with what the batch
    // answered, which is sent only once the commit is on disk. A batch with nothing to send (only
    // rekey acknowledgements without a request id, or members going offline) changed nothing
    // anyone was promised: its rows wait for the next commit, which comes with the next answered
    // batch or the next tick (`durable` = true), at most renewal_tick later. So acknowledgements
    // cost no fsync of their own (decision 22).
    void flush(bool durable) {
        if (broken || commit_failed) return;  // after a failed commit nothing more may be written or sent
        if (options.still_leader && !options.still_leader()) return on_lease_lost();
        core.end_batch(now_ms(), outbox);
        if (outbox.empty() && !durable) return;
        Journal journal = core.take_journal();
        // The batch's rekeys go to the relay and the LAN after its commit, like its pushes
        // (kRelayTopic).
        for (auto& signed_rekey : core.take_publications()) {
            if (spdlog::should_log(spdlog::level::debug)) log_rekey_made(*signed_rekey);
            if (publisher || lan) outbox.push_back(Outgoing{kRelayTopic, std::move(signed_rekey)});
        }
        if (journal.empty() && outbox.empty()) return;
        store->seal(journal);  // reads the core's keys here, on the server thread
        {
            const std::lock_guard lock(mutex);
            if (commit_failed) {
                // The commit thread failed (and stopped) since the check above: this batch's
                // answers come from memory that is ahead of disk, and nobody would commit it.
                outbox.clear();
                return;
            }
            if (journal.empty() && queued.empty() && !committing) {
                // Nothing changed and nothing is waiting for the disk: the answers (statements,
                // lookups) can go now without overtaking anything.
                committed.push_back(std::move(outbox));
            } else {
                queued.push_back(Batch{std::move(journal), std::move(outbox)});
            }
        }
        outbox.clear();
        work_ready.notify_one();
        release();
    }

    void commit_loop() {
        std::unique_lock lock(mutex);
        for (;;) {
            work_ready.wait(lock, [this] { return quit || !queued.empty(); });
            if (queued.empty()) return;
            std::deque<Batch> work;
            work.swap(queued);
            committing = true;
            lock.unlock();
            std::vector<Journal> journals;
            journals.reserve(work.size());
            for (Batch& b : work) journals.push_back(std::move(b.journal));
            const Status s = store->commit(journals);
            lock.lock();
            committing = false;
            if (!s) {
                // Memory and disk now disagree: nothing may be acknowledged. Stop; a restart loads
                // the last committed state, which is all that was ever promised to anyone.
                commit_failed = true;
                failure = s.error().message;
                queued.clear();
                all_done.notify_all();
                server->post([this] { on_commit_failed(); });
                return;
            }
            for (Batch& b : work) committed.push_back(std::move(b.outbox));
            if (!release_posted) {
                release_posted = true;
                server->post([this] { release(); });
            }
            all_done.notify_all();
        }
    }

    // On the server thread: sends the answers of every committed batch, in order.
    void release() {
        std::vector<std::vector<Outgoing>> ready;
        {
            const std::lock_guard lock(mutex);
            ready.swap(committed);
            release_posted = false;
        }
        for (std::vector<Outgoing>& batch : ready) {
            for (Outgoing& o : batch) {
                if (o.to == kRelayTopic) {
                    if (lan) lan->publish(*o.payload);
                    if (publisher) publisher->publish(std::move(o.payload));
                    continue;
                }
                const auto it = connections.find(o.to);
                if (it != connections.end()) (void)it->second->send(*o.payload);
            }
        }
    }

    void on_commit_failed() {
        if (broken) return;
        std::string why;
        {
            const std::lock_guard lock(mutex);
            why = failure;
            committed.clear();
        }
        spdlog::critical("commit failed, stopping: {}", why);
        broken = true;
        outbox.clear();
        server->stop();
    }

    // Another process may lead now: what this one holds in memory may be behind the database, so
    // nothing more is answered from it. Commits already queued fail their fencing check.
    void on_lease_lost() {
        if (broken) return;
        spdlog::warn("no longer the leader: stopping without answering");
        broken = true;
        lease_lost = true;
        outbox.clear();
        server->stop();
    }

    // On the server thread: waits until everything queued is on disk, then sends its answers.
    void drain() {
        {
            std::unique_lock lock(mutex);
            all_done.wait(lock, [this] { return queued.empty() && !committing; });
        }
        if (commit_failed) return on_commit_failed();
        release();
    }

    void start_committer() {
        committer = std::thread([this] { commit_loop(); });
    }
    void stop_committer() {
        if (!committer.joinable()) return;
        {
            const std::lock_guard lock(mutex);
            quit = true;
        }
        work_ready.notify_one();
        committer.join();
    }

    // A password job runs on the worker: the time it waits there is the server's, not the peer's,
    // so it does not count against the connection's authentication deadline.
    void run_password_job(PasswordJob job) {
        if (const auto it = connections.find(job.client); it != connections.end()) it->second->hold_auth_deadline();
        auto result = std::make_shared<Result<std::string>>(std::string());
        auto verified = std::make_shared<bool>(false);
        auto shared_job = std::make_shared<PasswordJob>(std::move(job));
        const auto limits = options.password_limits;
        server->offload(
            [shared_job, result, verified, limits] {
                if (shared_job->kind == PasswordJob::Kind::register_account) {
                    *result = crypto::hash_password(shared_job->password, limits);
                } else {
                    *verified = crypto::verify_password(shared_job->stored_hash, shared_job->password);
                }
                crypto::wipe(as_writable_bytes(shared_job->password));
            },
            [this, shared_job, result, verified] {
                const std::size_t answers_before = outbox.size();
                if (shared_job->kind == PasswordJob::Kind::register_account) {
                    core.finish_register(*shared_job, std::move(*result), outbox);
                } else {
                    core.finish_login(*shared_job, *verified, now_ms(), outbox);
                }
                const auto it = connections.find(shared_job->client);
                if (it == connections.end()) return;  // the peer left while its password was checked
                it->second->release_auth_deadline();
                if (answered_login(outbox, answers_before, *shared_job)) it->second->set_authenticated();
            });
    }

    // Whether the job's answer, among those queued from `from` on, says it succeeded: a login or a
    // registration is answered with a LoginResponse, a failure with an Error.
    static bool answered_login(const std::vector<Outgoing>& out, std::size_t from, const PasswordJob& job) {
        for (std::size_t i = from; i < out.size(); ++i) {
            if (out[i].to != job.client) continue;
            v1::GmsResponse answer;
            if (!answer.ParseFromArray(out[i].payload->data(), static_cast<int>(out[i].payload->size()))) continue;
            if (answer.request_id() == job.request_id) return answer.has_login();
        }
        return false;
    }
};

namespace {

class GmsSession final : public net::Session {
  public:
    GmsSession(detail::ServiceState& state, net::Connection& conn) : state_(state), conn_(conn) {
        state_.connections.emplace(conn.id(), &conn);
        state_.core.connected(conn.id(), conn.peer().substr(0, conn.peer().rfind(':')));
    }

    void on_frame(ByteView payload) override {
        auto request = wire::parse_message<v1::GmsRequest>(payload);
        if (!request) {
            log_violation(request.error().message);
            return reply_error(0, v1::ERROR_CODE_MALFORMED, request.error().message);
        }
        if (auto s = wire::validate(*request); !s) {
            log_violation(s.error().message);
            return reply_error(request->request_id(), wire::to_wire(s.error().code), s.error().message);
        }
        auto job = state_.core.handle(conn_.id(), *request, now_ms(), state_.outbox);
        // The job holds its own copy; wipe the request's (the worker wipes the job's after use).
        if (request->has_register_())
            crypto::wipe(as_writable_bytes(*request->mutable_register_()->mutable_password()));
        if (request->has_login()) crypto::wipe(as_writable_bytes(*request->mutable_login()->mutable_password()));
        if (job) state_.run_password_job(std::move(*job));
    }

    void on_frame_error(const Error& error) override {
        log_violation(error.message);
        reply_error(0, wire::to_wire(error.code), error.message);
    }

    void on_close(const std::string& reason) override {
        spdlog::debug("connection {} closed: {}", conn_.peer(), reason);
        state_.core.disconnected(conn_.id());
        state_.connections.erase(conn_.id());
    }

  private:
    // One line at info per connection, as the relay logs a broken frame: a client repeating a bad
    // request cannot flood the log. The message names the field or size, never payload bytes.
    void log_violation(const std::string& what) {
        if (violation_logged_) {
            spdlog::debug("connection {} broke the protocol again: {}", conn_.id(), what);
            return;
        }
        violation_logged_ = true;
        spdlog::info("connection {} from {} broke the protocol: {}", conn_.id(), conn_.peer(), what);
    }

    // Errors found before the core sees a request go straight out: nothing was changed.
    void reply_error(std::uint64_t request_id, v1::ErrorCode code, const std::string& message) {
        v1::GmsResponse r;
        r.set_request_id(request_id);
        r.mutable_error()->set_code(code);
        r.mutable_error()->set_message(message);
        const std::string bytes = r.SerializeAsString();
        (void)conn_.send(as_bytes(bytes));
    }

    detail::ServiceState& state_;
    net::Connection& conn_;
    bool violation_logged_ = false;
};

}  // namespace

Service::Service(std::unique_ptr<detail::ServiceState> state) : state_(std::move(state)) {}
Service::~Service() = default;

namespace {

Status refuse_if_led(PostgresStore& store) {
    auto rows = store.connection().query(
        "SELECT advertise FROM gms_lease WHERE id = 1 AND expires_ms >= (extract(epoch FROM clock_timestamp()) * 1000)::bigint");
    if (!rows) return rows.error();
    if (rows->empty()) return {};
    return make_error(Errc::conflict, "another GMS process leads on this database (" + rows->text(0, 0) +
                                          "): start this one with --advertise to stand by beside it");
}

}  // namespace

Result<std::unique_ptr<Service>> Service::open(ServiceOptions options) {
    if (auto dir = load_or_create_keys(options.data_dir); !dir) return dir.error();  // the data directory first
    auto store = open_store(options.store, options.data_dir);
    if (!store) return store.error();
    if (auto* postgres = dynamic_cast<PostgresStore*>(store->get())) {
        // A lone process takes no lease: it must not start beside processes that share one.
        if (auto s = refuse_if_led(*postgres); !s) return s.error();
    }
    return open(std::move(options), std::move(*store));
}

Result<std::unique_ptr<Service>> Service::open(ServiceOptions options, std::unique_ptr<Store> store) {
    // After the store: on PostgreSQL it may have replaced them with the database's shared ones.
    auto keys = load_or_create_keys(options.data_dir);
    if (!keys) return keys.error();
    auto loaded = store->load();
    if (!loaded) return loaded.error();
    spdlog::info("loaded {} accounts and {} groups from {}", loaded->accounts.size(), loaded->groups.size(),
                 describe_store(options.store, options.data_dir));

    const Identity identity = identity_of(*keys);
    std::unique_ptr<RelayPublisher> publisher;
    if (options.relay) {
        auto key = crypto::SigningKey::from_seed(keys->signing.seed().span());
        if (!key) return key.error();
        publisher = std::make_unique<RelayPublisher>(
            RelayPublisherOptions{*options.relay, options.relay_fingerprint}, std::move(*key));
    }
    GmsCore core(options.core, std::move(keys->signing), std::move(*loaded));
    auto state = std::make_unique<detail::ServiceState>(options, identity, std::move(store), std::move(core));
    state->publisher = std::move(publisher);
    if (options.core.lan && !options.multicast_interface.empty()) {
        auto lan = LanPublisher::open(options.multicast_interface, *options.core.lan);
        if (!lan) return lan.error();
        state->lan = std::move(*lan);
    }

    net::ServerOptions server_options;
    server_options.listen = options.listen;
    server_options.identity = keys->tls;
    server_options.max_connections = options.max_connections;
    server_options.max_connections_per_address = options.max_connections_per_address;
    server_options.idle_timeout = options.idle_timeout;
    server_options.frame_timeout = options.frame_timeout;
    server_options.auth_timeout = options.auth_timeout;
    detail::ServiceState* s = state.get();
    state->server = std::make_unique<net::TlsServer>(
        server_options, [s](net::Connection& conn) { return std::make_unique<GmsSession>(*s, conn); });
    state->server->after_batch([s] { s->flush(false); });
    state->server->every(options.renewal_tick, [s] { s->flush(true); });
    state->server->on_stop([s] {
        s->flush(true);
        s->drain();  // answers go out before connections close
    });
    return std::unique_ptr<Service>(new Service(std::move(state)));
}

Status Service::bind() { return state_->server->bind(); }
std::uint16_t Service::bound_port() const { return state_->server->bound_port(); }
const Identity& Service::identity() const { return state_->identity; }
Status Service::run() {
    state_->start_committer();
    const Status s = state_->server->run();
    state_->drain();
    state_->stop_committer();
    if (state_->lease_lost) return make_error(Errc::conflict, "stopped: no longer the leader");
    if (state_->broken || state_->commit_failed) {
        return make_error(Errc::internal, "stopped after a failed commit (see the log)");
    }
    // Connections closed while stopping: record their members as offline. Nothing else is left to
    // commit (on_stop flushed the last batch), and nobody is left to answer.
    if (const Status c = state_->store->commit(state_->core.take_journal()); !c) {
        spdlog::error("final commit failed: {}", c.error().message);
    }
    return s;
}
void Service::stop() { state_->server->stop(); }

}  // namespace twofold::gms
