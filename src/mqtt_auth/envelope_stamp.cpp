#include "mqtt_auth/envelope_stamp.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "twofold/v1/relay.pb.h"

namespace twofold::mqtt_auth {

namespace {

using google::protobuf::internal::WireFormatLite;

constexpr int kStampField = v1::Envelope::kBrokerEpochFieldNumber;
constexpr std::uint8_t kStampTag = (kStampField << 3) | WireFormatLite::WIRETYPE_FIXED64;

// Walks the top-level fields without copying: true if `bytes` is a whole message (every field
// complete) in which field 7 does not appear.
bool whole_without_stamp(std::string_view bytes) {
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                              static_cast<int>(bytes.size()));
    for (;;) {
        const std::uint32_t tag = in.ReadTag();
        if (tag == 0) return in.ConsumedEntireMessage() && in.CurrentPosition() == static_cast<int>(bytes.size());
        if (WireFormatLite::GetTagFieldNumber(tag) == kStampField) return false;
        if (!WireFormatLite::SkipField(&in, tag)) return false;
    }
}

}  // namespace

// One walk over the top-level fields, copying only the two short ones it compares: a publication
// is about 1 KiB of payload field, and this runs for each one the broker accepts.
Status check_group_envelope(std::string_view publication, const relay::GroupId& group) {
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(publication.data()),
                                              static_cast<int>(publication.size()));
    std::string group_id, recipient;
    bool whole = false;
    for (;;) {
        const std::uint32_t tag = in.ReadTag();
        if (tag == 0) {
            whole = in.ConsumedEntireMessage() && in.CurrentPosition() == static_cast<int>(publication.size());
            break;
        }
        const int field = WireFormatLite::GetTagFieldNumber(tag);
        if (field == kStampField) {
            return make_error(Errc::malformed, "envelope carries broker_epoch (field 7), which only the broker sets");
        }
        const bool short_bytes = (field == v1::Envelope::kGroupIdFieldNumber ||
                                  field == v1::Envelope::kRecipientKeyFieldNumber) &&
                                 WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
        if (short_bytes) {
            std::string& into = field == v1::Envelope::kGroupIdFieldNumber ? group_id : recipient;
            std::uint32_t length = 0;
            if (!in.ReadVarint32(&length) || length > 64 || !in.ReadString(&into, static_cast<int>(length))) break;
        } else if (!WireFormatLite::SkipField(&in, tag)) {
            break;
        }
    }
    if (!whole) {
        return make_error(Errc::malformed, "publication of " + std::to_string(publication.size()) +
                                               " bytes on a group topic is not an envelope");
    }
    if (group_id != group) return make_error(Errc::malformed, "envelope names another group than its topic");
    if (!recipient.empty()) return make_error(Errc::malformed, "group envelope names a recipient");
    return {};
}

std::string stamped(std::string_view publication, std::uint64_t epoch) {
    std::string out;
    out.reserve(publication.size() + kStampBytes);
    out.append(publication);
    out.push_back(static_cast<char>(kStampTag));
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(epoch >> (8 * i)));
    return out;
}

std::optional<std::uint64_t> stamp_of(std::string_view delivery) {
    if (delivery.size() < kStampBytes) return std::nullopt;
    const std::string_view body = delivery.substr(0, delivery.size() - kStampBytes);
    const std::string_view stamp = delivery.substr(body.size());
    if (static_cast<std::uint8_t>(stamp[0]) != kStampTag || !whole_without_stamp(body)) return std::nullopt;
    std::uint64_t epoch = 0;
    for (int i = 8; i >= 1; --i) epoch = (epoch << 8) | static_cast<std::uint8_t>(stamp[i]);
    return epoch;
}

}  // namespace twofold::mqtt_auth
