#include "member/group_keys.h"

#include <string>

namespace twofold::member {

Status GroupKeys::add_rn1(std::uint64_t generation, crypto::Rn1 rn1) {
    if (auto it = rn1s_.find(generation); it != rn1s_.end()) {
        if (it->second == rn1) return {};
        return make_error(Errc::auth_failed, "a second RN1 for generation " + std::to_string(generation) +
                                                 " differs from the first: refusing it");
    }
    if (!rn1s_.empty() && generation + grace_ < rn1s_.rbegin()->first) {
        return make_error(Errc::stale_epoch,
                          "RN1 generation " + std::to_string(generation) + " is older than the grace period");
    }
    rn1s_.emplace(generation, std::move(rn1));
    prune();
    ++revision_;
    return {};
}

Status GroupKeys::set_path(lkh::MemberState path) {
    if (path_ && path.epoch() < path_->epoch()) {
        return make_error(Errc::stale_epoch, "key state of RN2 epoch " + std::to_string(path.epoch()) +
                                                 " is older than the held epoch " + std::to_string(path_->epoch()));
    }
    path_ = std::move(path);
    record_current_rn2();
    return {};
}

Status GroupKeys::apply_rekey(ByteView lkh_message) {
    if (!path_) return make_error(Errc::unknown, "rekey for a group whose key state has not arrived: ask the GMS");
    if (auto s = path_->apply(lkh_message); !s) return s;
    record_current_rn2();
    return {};
}

void GroupKeys::record_current_rn2() {
    const auto rn2 = path_->rn2();
    rn2s_.insert_or_assign(path_->epoch(), crypto::Rn2::copy_of(rn2));
    prune();
    ++revision_;
}

void GroupKeys::restore_rn2(std::uint64_t epoch, crypto::Rn2 rn2) {
    if (!rn2s_.empty() && epoch + grace_ < rn2s_.rbegin()->first) return;  // past the grace already
    rn2s_.emplace(epoch, std::move(rn2));
    prune();
    ++revision_;
}

// Keeps the newest grace_+1 of each half; the erased Secrets wipe themselves.
void GroupKeys::prune() {
    while (rn1s_.size() > grace_ + 1) rn1s_.erase(rn1s_.begin());
    while (rn2s_.size() > grace_ + 1) rn2s_.erase(rn2s_.begin());
}

std::optional<EpochId> GroupKeys::current() const {
    if (!ready()) return std::nullopt;
    return EpochId{rn1s_.rbegin()->first, path_->epoch()};
}

Result<crypto::EpochKeySchedule> GroupKeys::schedule(EpochId epoch) const {
    const std::string where =
        "epoch (rn1 " + std::to_string(epoch.rn1_generation) + ", rn2 " + std::to_string(epoch.rn2_epoch) + ")";
    auto rn1 = rn1s_.find(epoch.rn1_generation);
    if (rn1 == rn1s_.end()) {
        if (rn1s_.empty() || epoch.rn1_generation > rn1s_.rbegin()->first) {
            return make_error(Errc::unknown, where + ": RN1 generation not received yet");
        }
        return make_error(Errc::stale_epoch, where + " is older than the grace period (" + std::to_string(grace_) +
                                                 " rekeys): its RN1 was wiped");
    }
    auto rn2 = rn2s_.find(epoch.rn2_epoch);
    if (rn2 == rn2s_.end()) {
        if (rn2s_.empty() || epoch.rn2_epoch > rn2s_.rbegin()->first) {
            return make_error(Errc::unknown, where + ": RN2 epoch newer than this member's: ask the GMS");
        }
        if (epoch.rn2_epoch > rn2s_.begin()->first) {
            return make_error(Errc::stale_epoch, where + ": its RN2 was never held here (missed while offline)");
        }
        return make_error(Errc::stale_epoch, where + " is older than the grace period (" + std::to_string(grace_) +
                                                 " rekeys): its RN2 was wiped");
    }
    const crypto::GroupKey gk = crypto::derive_group_key(rn1->second, rn2->second, name_);
    return crypto::EpochKeySchedule(gk);
}

}  // namespace twofold::member
