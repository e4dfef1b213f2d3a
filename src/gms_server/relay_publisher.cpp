#include "gms_server/relay_publisher.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "relay_client/client.h"

namespace twofold::gms {

namespace {

// A refusal on the merits (the relay checked the rekey and said no): retrying cannot help.
bool retry_helps(Errc code) {
    return code == Errc::unavailable || code == Errc::timeout || code == Errc::internal ||
           code == Errc::rate_limited;
}

}  // namespace

RelayPublisher::RelayPublisher(RelayPublisherOptions options, crypto::SigningKey signing_key)
    : options_(std::move(options)), signing_key_(std::move(signing_key)), thread_([this] { run(); }) {}

RelayPublisher::~RelayPublisher() {
    {
        const std::lock_guard lock(mutex_);
        quit_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void RelayPublisher::publish(std::shared_ptr<const Bytes> signed_rekey) {
    {
        const std::lock_guard lock(mutex_);
        if (queue_.size() >= options_.max_queued) {
            queue_.pop_front();  // the oldest is the first a later epoch makes up for
            ++counts_.dropped;
            spdlog::warn("relay publication queue full: oldest rekey dropped (members catch up by inquiry)");
        }
        queue_.push_back(std::move(signed_rekey));
    }
    wake_.notify_one();
}

RelayPublisher::Counts RelayPublisher::counts() const {
    const std::lock_guard lock(mutex_);
    return counts_;
}

void RelayPublisher::run() {
    std::unique_ptr<relay::RelayClient> client;
    std::chrono::milliseconds backoff = options_.min_backoff;
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return quit_ || !queue_.empty(); });
        if (quit_) return;
        const std::shared_ptr<const Bytes> next = queue_.front();
        lock.unlock();

        Status sent;
        if (!client) {
            auto connected = relay::RelayClient::connect(options_.relay, options_.fingerprint, signing_key_);
            if (connected) {
                client = std::move(*connected);
                spdlog::info("publishing rekeys to the relay at {}", options_.relay.to_string());
            } else {
                sent = connected.error();
            }
        }
        if (client) {
            v1::RelayRequest request;
            request.mutable_publish_rekey()->set_signed_rekey(next->data(), next->size());
            auto answer = client->request(std::move(request));
            if (!answer) {
                sent = answer.error();
            } else if (answer->has_error()) {
                sent = relay::relay_error(answer->error());
            } else if (!answer->has_accepted_id()) {
                sent = make_error(Errc::malformed, "the relay answered publish_rekey without an id");
            }
        }

        lock.lock();
        if (sent) {
            queue_.pop_front();
            ++counts_.published;
            backoff = options_.min_backoff;
            continue;
        }
        if (!retry_helps(sent.error().code)) {
            queue_.pop_front();
            ++counts_.dropped;
            spdlog::error("the relay refused a rekey: {}", sent.error().message);
            continue;
        }
        // The relay is away: keep the rekey, reconnect after a pause (the GMS goes on meanwhile).
        spdlog::warn("cannot publish to the relay (retrying in {} ms): {}", backoff.count(), sent.error().message);
        client.reset();
        wake_.wait_for(lock, backoff, [this] { return quit_; });
        if (quit_) return;
        backoff = std::min(backoff * 2, options_.max_backoff);
    }
}

}  // namespace twofold::gms
