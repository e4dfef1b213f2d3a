// The Agent over libnice. Every libnice call runs on the MainLoopThread (invoke); the signal
// handlers, also on that thread, only record state under `mutex` and wake the waiting caller.
#include "ice/agent.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <mutex>

#include <nice/agent.h>

#include "ice/main_loop_thread.h"

namespace twofold::ice {
namespace {

constexpr guint component_id = 1;  // one component: the stream
// Bytes received but not yet read by the caller; beyond this the peer is misbehaving.
constexpr std::size_t max_unread_bytes = 4u << 20;
// How long destruction waits for libnice to release TURN allocations.
constexpr auto close_wait = std::chrono::seconds(3);
// A partial send re-polls at this interval as well as on "reliable-transport-writable".
constexpr auto send_poll = std::chrono::milliseconds(20);

CandidateKind kind_of(NiceCandidateType type) {
    switch (type) {
        case NICE_CANDIDATE_TYPE_HOST: return CandidateKind::host;
        case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: return CandidateKind::server_reflexive;
        case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE: return CandidateKind::peer_reflexive;
        case NICE_CANDIDATE_TYPE_RELAYED: return CandidateKind::relayed;
    }
    return CandidateKind::host;
}

Endpoint endpoint_of(const NiceCandidate* c) {
    std::array<gchar, NICE_ADDRESS_STRING_LEN> text{};
    nice_address_to_string(&c->addr, text.data());
    return Endpoint{kind_of(c->type), text.data(), static_cast<std::uint16_t>(nice_address_get_port(&c->addr))};
}

// Candidates per kind, for progress and for the failure message.
struct KindCounts {
    std::array<int, 4> n{};
    void add(CandidateKind k) { ++n[static_cast<std::size_t>(k)]; }
    int of(CandidateKind k) const { return n[static_cast<std::size_t>(k)]; }
    std::string text() const {
        return "host " + std::to_string(of(CandidateKind::host)) + ", server-reflexive " +
               std::to_string(of(CandidateKind::server_reflexive)) + ", relayed " +
               std::to_string(of(CandidateKind::relayed));
    }
};

// libnice wants numeric addresses for its servers.
Result<std::string> resolve(const ServerAddress& server, const char* what) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    if (int rc = getaddrinfo(server.host.c_str(), nullptr, &hints, &found); rc != 0) {
        return make_error(Errc::invalid_argument,
                          std::string(what) + " server '" + server.host + "' does not resolve: " + gai_strerror(rc));
    }
    std::array<char, NI_MAXHOST> host{};
    int rc = getnameinfo(found->ai_addr, found->ai_addrlen, host.data(), host.size(), nullptr, 0, NI_NUMERICHOST);
    freeaddrinfo(found);
    if (rc != 0) return make_error(Errc::invalid_argument, std::string(what) + " server address: " + gai_strerror(rc));
    return std::string(host.data());
}

bool printable_token(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

}  // namespace

struct Agent::Impl {
    Config config;
    MainLoopThread loop;  // first member: every other member outlives the loop's last callback
    NiceAgent* agent = nullptr;
    guint stream_id = 0;

    std::mutex mutex;
    std::condition_variable changed;
    bool gathering_done = false;
    bool gathering_started = false;
    bool remote_set = false;
    bool cancelled = false;
    bool closed = false;  // nice_agent_close_async finished
    bool writable = false;
    bool overflowed = false;
    NiceComponentState state = NICE_COMPONENT_STATE_DISCONNECTED;
    std::optional<SelectedPair> selected;
    std::deque<std::uint8_t> received;
    KindCounts local_kinds, remote_kinds;
    std::string gathering_note;  // e.g. "gathering incomplete after 2000 ms"

    explicit Impl(Config c) : config(std::move(c)) {}

    ~Impl() {
        cancel();
        if (agent != nullptr) {
            loop.invoke([this] { nice_agent_close_async(agent, on_closed, this); });
            {
                std::unique_lock lock(mutex);
                changed.wait_for(lock, close_wait, [this] { return closed; });
            }
            loop.invoke([this] {
                nice_agent_attach_recv(agent, stream_id, component_id, loop.context(), nullptr, nullptr);
                g_signal_handlers_disconnect_by_data(agent, this);
                g_object_unref(agent);
                agent = nullptr;
            });
        }
        loop.stop();  // joins; a late close callback runs here, while the members still exist
    }

    void progress(Stage stage, std::string detail) {
        if (config.progress) config.progress(Progress{stage, std::move(detail)});
    }

    void cancel() {
        std::lock_guard lock(mutex);
        cancelled = true;
        changed.notify_all();
    }

    Status setup();

    // --- libnice signals, on the loop's thread ---
    static void on_gathering_done(NiceAgent*, guint, gpointer self) {
        auto* impl = static_cast<Impl*>(self);
        std::lock_guard lock(impl->mutex);
        impl->gathering_done = true;
        impl->changed.notify_all();
    }
    static void on_state_changed(NiceAgent*, guint, guint, guint state, gpointer self) {
        auto* impl = static_cast<Impl*>(self);
        {
            std::lock_guard lock(impl->mutex);
            impl->state = static_cast<NiceComponentState>(state);
            impl->changed.notify_all();
        }
        if (state == NICE_COMPONENT_STATE_FAILED) impl->progress(Stage::failed, "ICE connectivity checks failed");
    }
    static void on_selected_pair(NiceAgent*, guint, guint, NiceCandidate* local, NiceCandidate* remote,
                                 gpointer self) {
        auto* impl = static_cast<Impl*>(self);
        SelectedPair pair{endpoint_of(local), endpoint_of(remote)};
        {
            std::lock_guard lock(impl->mutex);
            impl->selected = pair;
            impl->changed.notify_all();
        }
        impl->progress(Stage::connected, describe(pair));
    }
    static void on_writable(NiceAgent*, guint, guint, gpointer self) {
        auto* impl = static_cast<Impl*>(self);
        std::lock_guard lock(impl->mutex);
        impl->writable = true;
        impl->changed.notify_all();
    }
    static void on_receive(NiceAgent*, guint, guint, guint len, gchar* buf, gpointer self) {
        auto* impl = static_cast<Impl*>(self);
        std::lock_guard lock(impl->mutex);
        if (impl->received.size() + len > max_unread_bytes) {
            impl->overflowed = true;  // reported by receive(); the bytes are dropped
        } else {
            impl->received.insert(impl->received.end(), buf, buf + len);
        }
        impl->changed.notify_all();
    }
    static void on_closed(GObject*, GAsyncResult*, gpointer self) {
        auto* impl = static_cast<Impl*>(self);
        std::lock_guard lock(impl->mutex);
        impl->closed = true;
        impl->changed.notify_all();
    }

    std::string tried() const {  // caller holds mutex
        std::string text = "local candidates: " + local_kinds.text() + "; remote candidates: " + remote_kinds.text();
        if (!config.servers.stun) text += "; no STUN server configured";
        if (!config.servers.turn) {
            text += "; no TURN server configured";
        } else if (local_kinds.of(CandidateKind::relayed) == 0) {
            text += "; the TURN server gave no allocation (unreachable or credentials refused)";
        }
        if (!gathering_note.empty()) text += "; " + gathering_note;
        return text;
    }

    Status stream_usable() const {  // caller holds mutex
        if (cancelled) return make_error(Errc::unavailable, "ICE agent cancelled");
        if (overflowed) return make_error(Errc::too_large, "ICE stream: the peer sent more than 4 MiB unread");
        if (state == NICE_COMPONENT_STATE_FAILED) return make_error(Errc::unavailable, "ICE stream failed");
        if (!selected) return make_error(Errc::invalid_argument, "ICE stream used before wait_connected");
        return {};
    }
};

Status Agent::Impl::setup() {
    std::optional<std::string> stun_ip, turn_ip;
    if (config.servers.stun) {
        auto ip = resolve(*config.servers.stun, "STUN");
        if (!ip) return ip.error();
        stun_ip = *ip;
    }
    if (config.servers.turn) {
        auto ip = resolve(config.servers.turn->address, "TURN");
        if (!ip) return ip.error();
        turn_ip = *ip;
    }
    // A STUN server that is the TURN server itself is not asked separately: libnice takes the
    // server-reflexive address from the TURN allocation's answer, and a binding request from
    // the same socket to the same address has its answer swallowed by the TURN socket
    // ("incorrectly multiplexed"), so gathering would wait ~2 s for it to time out.
    if (stun_ip && turn_ip && *stun_ip == *turn_ip && config.servers.stun->port == config.servers.turn->address.port) {
        stun_ip.reset();
    }
    Status status;
    loop.invoke([&] {
        // RFC5245 is libnice's standard mode; since 0.1.16 it follows RFC 8445. Not trickle:
        // each side sends one complete description (docs/decisions.md).
        agent = nice_agent_new_full(loop.context(), NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_RELIABLE);
        if (agent == nullptr) {
            status = make_error(Errc::internal, "libnice could not create an agent");
            return;
        }
        g_object_set(agent, "controlling-mode", config.role == Role::controlling ? TRUE : FALSE,
                     "ice-tcp", FALSE,  // UDP only: pseudo-TCP gives the reliable stream
                     nullptr);
        // No UPnP: it discovers routers by multicast (the rules forbid it outside test namespaces).
        if (g_object_class_find_property(G_OBJECT_GET_CLASS(agent), "upnp") != nullptr) {
            g_object_set(agent, "upnp", FALSE, nullptr);
        }
        if (stun_ip) {
            g_object_set(agent, "stun-server", stun_ip->c_str(), "stun-server-port",
                         static_cast<guint>(config.servers.stun->port), nullptr);
        }
        if (config.servers.loopback_only) {
            NiceAddress loopback;
            nice_address_init(&loopback);
            nice_address_set_from_string(&loopback, "127.0.0.1");
            nice_agent_add_local_address(agent, &loopback);
        }
        stream_id = nice_agent_add_stream(agent, 1);
        if (stream_id == 0) {
            status = make_error(Errc::internal, "libnice could not add a stream");
            return;
        }
        if (turn_ip) {
            const auto& turn = *config.servers.turn;
            if (!nice_agent_set_relay_info(agent, stream_id, component_id, turn_ip->c_str(), turn.address.port,
                                           turn.username.c_str(), turn.password.c_str(), NICE_RELAY_TYPE_TURN_UDP)) {
                status = make_error(Errc::invalid_argument, "libnice refused the TURN server " + *turn_ip);
                return;
            }
        }
        g_signal_connect(agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), this);
        g_signal_connect(agent, "component-state-changed", G_CALLBACK(on_state_changed), this);
        g_signal_connect(agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), this);
        g_signal_connect(agent, "reliable-transport-writable", G_CALLBACK(on_writable), this);
        nice_agent_attach_recv(agent, stream_id, component_id, loop.context(), on_receive, this);
    });
    return status;
}

Agent::Agent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Agent::~Agent() = default;

Result<std::unique_ptr<Agent>> Agent::create(Config config) {
    auto impl = std::make_unique<Impl>(std::move(config));
    if (auto status = impl->setup(); !status) return status.error();
    return std::unique_ptr<Agent>(new Agent(std::move(impl)));
}

Result<Description> Agent::gather(std::chrono::milliseconds timeout) {
    Impl& s = *impl_;
    {
        std::lock_guard lock(s.mutex);
        if (s.gathering_started) return make_error(Errc::invalid_argument, "ICE gather called twice");
        s.gathering_started = true;
    }
    s.progress(Stage::gathering, "");
    bool started = false;
    s.loop.invoke([&] { started = nice_agent_gather_candidates(s.agent, s.stream_id) != FALSE; });
    if (!started) return make_error(Errc::unavailable, "ICE gathering could not start (no usable local address)");
    {
        std::unique_lock lock(s.mutex);
        s.changed.wait_for(lock, timeout, [&] { return s.gathering_done || s.cancelled; });
        if (s.cancelled) return make_error(Errc::unavailable, "ICE agent cancelled");
        if (!s.gathering_done) s.gathering_note = "gathering incomplete after " + std::to_string(timeout.count()) + " ms";
    }
    Description description;
    KindCounts kinds;
    s.loop.invoke([&] {
        gchar* ufrag = nullptr;
        gchar* pwd = nullptr;
        if (nice_agent_get_local_credentials(s.agent, s.stream_id, &ufrag, &pwd)) {
            description.ufrag = ufrag;
            description.pwd = pwd;
        }
        g_free(ufrag);
        g_free(pwd);
        GSList* candidates = nice_agent_get_local_candidates(s.agent, s.stream_id, component_id);
        for (GSList* i = candidates; i != nullptr; i = i->next) {
            auto* c = static_cast<NiceCandidate*>(i->data);
            gchar* line = nice_agent_generate_local_candidate_sdp(s.agent, c);
            description.candidates.emplace_back(line);
            g_free(line);
            kinds.add(kind_of(c->type));
        }
        g_slist_free_full(candidates, reinterpret_cast<GDestroyNotify>(nice_candidate_free));
    });
    if (description.candidates.empty()) return make_error(Errc::unavailable, "ICE gathered no candidate");
    {
        std::lock_guard lock(s.mutex);
        s.local_kinds = kinds;
    }
    s.progress(Stage::gathered, kinds.text());
    return description;
}

Status Agent::set_remote(const Description& remote) {
    Impl& s = *impl_;
    if (remote.ufrag.empty() || remote.pwd.empty()) {
        return make_error(Errc::malformed, "remote ICE description: empty ufrag or pwd");
    }
    if (remote.ufrag.size() > max_credential_length || remote.pwd.size() > max_credential_length) {
        return make_error(Errc::too_large, "remote ICE description: ufrag or pwd longer than 256 bytes");
    }
    if (!printable_token(remote.ufrag) || !printable_token(remote.pwd)) {
        return make_error(Errc::malformed, "remote ICE description: ufrag or pwd holds a non-printable byte");
    }
    if (remote.candidates.empty()) return make_error(Errc::malformed, "remote ICE description: no candidate");
    if (remote.candidates.size() > max_candidates) {
        return make_error(Errc::too_large, "remote ICE description: more than 32 candidates");
    }
    for (std::size_t i = 0; i < remote.candidates.size(); ++i) {
        if (remote.candidates[i].size() > max_candidate_line_length) {
            return make_error(Errc::too_large, "remote ICE candidate " + std::to_string(i) + ": longer than 512 bytes");
        }
    }
    {
        std::lock_guard lock(s.mutex);
        if (s.remote_set) return make_error(Errc::invalid_argument, "ICE remote description set twice");
    }
    Status status;
    KindCounts kinds;
    s.loop.invoke([&] {
        GSList* list = nullptr;
        for (std::size_t i = 0; i < remote.candidates.size() && status; ++i) {
            NiceCandidate* c = nice_agent_parse_remote_candidate_sdp(s.agent, s.stream_id, remote.candidates[i].c_str());
            if (c == nullptr || c->component_id != component_id || c->transport != NICE_CANDIDATE_TRANSPORT_UDP) {
                status = make_error(Errc::malformed,
                                    "remote ICE candidate " + std::to_string(i) + ": not a UDP candidate line of component 1");
                if (c != nullptr) nice_candidate_free(c);
                break;
            }
            kinds.add(kind_of(c->type));
            list = g_slist_prepend(list, c);
        }
        if (status && !nice_agent_set_remote_credentials(s.agent, s.stream_id, remote.ufrag.c_str(), remote.pwd.c_str())) {
            status = make_error(Errc::malformed, "remote ICE description: libnice refused the credentials");
        }
        if (status && nice_agent_set_remote_candidates(s.agent, s.stream_id, component_id, list) <= 0) {
            status = make_error(Errc::malformed, "remote ICE description: libnice accepted none of the candidates");
        }
        g_slist_free_full(list, reinterpret_cast<GDestroyNotify>(nice_candidate_free));
    });
    if (!status) return status;
    {
        std::lock_guard lock(s.mutex);
        s.remote_set = true;
        s.remote_kinds = kinds;
    }
    s.progress(Stage::checking, "remote candidates: " + kinds.text());
    return {};
}

Result<SelectedPair> Agent::wait_connected(std::chrono::milliseconds timeout) {
    Impl& s = *impl_;
    std::unique_lock lock(s.mutex);
    if (!s.remote_set) return make_error(Errc::invalid_argument, "ICE wait_connected before set_remote");
    s.changed.wait_for(lock, timeout, [&] {
        return s.cancelled || s.state == NICE_COMPONENT_STATE_FAILED || (s.selected && s.writable);
    });
    if (s.cancelled) return make_error(Errc::unavailable, "ICE agent cancelled");
    if (s.selected && s.writable) return *s.selected;
    if (s.state == NICE_COMPONENT_STATE_FAILED) {
        return make_error(Errc::unavailable, "no ICE candidate pair worked (every check failed); " + s.tried());
    }
    return make_error(Errc::timeout, "no ICE candidate pair worked within " + std::to_string(timeout.count()) +
                                         " ms" + (s.selected ? " (a pair was selected, the stream did not open)" : "") +
                                         "; " + s.tried());
}

Status Agent::send(std::span<const std::uint8_t> bytes, std::chrono::milliseconds timeout) {
    Impl& s = *impl_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!bytes.empty()) {
        {
            std::lock_guard lock(s.mutex);
            if (auto usable = s.stream_usable(); !usable) return usable;
        }
        gint sent = -1;
        s.loop.invoke([&] {
            sent = nice_agent_send(s.agent, s.stream_id, component_id, static_cast<guint>(bytes.size()),
                                   reinterpret_cast<const gchar*>(bytes.data()));
        });
        if (sent > 0) bytes = bytes.subspan(static_cast<std::size_t>(sent));
        if (bytes.empty()) break;
        std::unique_lock lock(s.mutex);
        s.writable = false;
        if (std::chrono::steady_clock::now() >= deadline) {
            return make_error(Errc::timeout, "ICE stream: the peer did not take the bytes in time");
        }
        s.changed.wait_for(lock, send_poll, [&] { return s.writable || s.cancelled; });
    }
    return {};
}

Result<std::vector<std::uint8_t>> Agent::receive(std::size_t max, std::chrono::milliseconds timeout) {
    Impl& s = *impl_;
    std::unique_lock lock(s.mutex);
    s.changed.wait_for(lock, timeout, [&] { return !s.received.empty() || !s.stream_usable(); });
    if (s.received.empty()) {
        if (auto usable = s.stream_usable(); !usable) return usable.error();
        return make_error(Errc::timeout, "ICE stream: nothing received in " + std::to_string(timeout.count()) + " ms");
    }
    const std::size_t n = std::min(max, s.received.size());
    std::vector<std::uint8_t> out(s.received.begin(), s.received.begin() + static_cast<std::ptrdiff_t>(n));
    s.received.erase(s.received.begin(), s.received.begin() + static_cast<std::ptrdiff_t>(n));
    return out;
}

void Agent::cancel() { impl_->cancel(); }

}  // namespace twofold::ice
