// Arbitrary frames into the relay's logic, authenticated or not: it must answer or refuse,
// never crash, leak or hang. The store is a trivial in-memory one.
#include <cstddef>
#include <cstdint>
#include <map>

#include "crypto/random.h"
#include "relay/core.h"

namespace {

using namespace twofold;
using namespace twofold::relay;

class NullStore final : public RelayStore {
  public:
    Result<std::uint64_t> insert(const StoredEnvelope&, std::span<const MemberKey>) override { return ++id_; }
    Result<std::vector<StoredEnvelope>> pending(const MemberKey&, std::uint64_t, std::size_t) override {
        return std::vector<StoredEnvelope>{};
    }
    Status remove_deliveries(const MemberKey&, std::span<const std::uint64_t>) override { return {}; }
    Result<std::uint64_t> expire(std::uint64_t) override { return std::uint64_t{0}; }
    Result<std::uint64_t> owe_membership(const GroupId&, const MemberKey&, std::uint64_t) override {
        return std::uint64_t{0};
    }
    Result<Released> drop_oldest(const GroupId&, std::uint64_t) override { return Released{}; }
    Result<std::vector<std::pair<GroupId, std::uint64_t>>> group_bytes() override {
        return std::vector<std::pair<GroupId, std::uint64_t>>{};
    }
    Status save_subscription(const Subscription&) override { return {}; }
    Result<std::vector<Subscription>> subscriptions() override { return std::vector<Subscription>{}; }
    Status save_group_epoch(const GroupEpoch&) override { return {}; }
    Result<std::vector<GroupEpoch>> group_epochs() override { return std::vector<GroupEpoch>{}; }
    Result<std::vector<std::pair<MemberKey, std::uint64_t>>> queued_bytes() override {
        return std::vector<std::pair<MemberKey, std::uint64_t>>{};
    }
    Status commit() override { return {}; }

  private:
    std::uint64_t id_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto gms = crypto::SigningKey::generate();
    NullStore store;
    RelayCore core(Config{}, gms.public_key(), "sha256:" + std::string(64, 'a'), store);
    std::vector<Outgoing> out;
    core.connected(1, Challenge{}, out);
    core.handle(1, ByteView(data, size), 1'800'000'000'000, out);
    (void)core.end_batch(1'800'000'000'000, out);
    core.disconnected(1);
    return 0;
}
