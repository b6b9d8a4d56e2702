// Fuzzes both ends of the consumer protocol (consumer_protocol.h) with
// arbitrary frames: the first byte picks the side (the daemon reading a
// request, the consumer reading a reply), the rest is the frame. Nothing may
// throw, crash or recurse without bound; what is accepted must satisfy the
// documented ranges, and an accepted request must survive its own round trip.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "consumer_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace shelfguard::net;
  if (data[0] % 2 == 0) {
    ConsumerRequest r;
    if (!ParseConsumerRequest(body, &r).empty()) return 0;
    if (r.max < 1 || r.max > kMaxFetch || r.wait_ms < 0 || r.wait_ms > kMaxWaitMs || r.consumer.empty() ||
        r.consumer.size() > static_cast<size_t>(kMaxConsumerName) || r.ids.size() > kMaxAckIds) {
      std::abort();
    }
    // What the daemon accepts, the consumer's builders say again the same way.
    std::string again = r.type == "ack"     ? AckRequest(r.consumer, r.ids)
                        : r.type == "fetch" ? FetchRequest(r.consumer, r.max, r.wait_ms)
                                            : HelloRequest(r.consumer);
    ConsumerRequest back;
    if (!ParseConsumerRequest(again, &back).empty() || back.type != r.type || back.ids != r.ids) std::abort();
  } else {
    ConsumerReply r;
    if (!ParseConsumerReply(body, &r).empty()) return 0;
    if (r.ids.size() != r.messages.size() || r.messages.size() > static_cast<size_t>(kMaxFetch)) std::abort();
    for (const auto& id : r.ids) {
      if (id.empty() || id.size() > kMaxMessageId) std::abort();
    }
  }
  return 0;
}
