// Fuzzes the daemon's request checks (protocol.h) with arbitrary frames: the
// first byte picks the socket, the rest is the request body. Nothing may
// throw, crash or recurse without bound; an accepted request must satisfy
// the documented ranges.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace shelfguard::daemon;
  switch (data[0] % 3) {
    case 0: {
      SubmitRequest r;
      if (ParseSubmitRequest(body, &r).empty() && (r.request_id.size() > 64 || r.url.size() > 4096)) std::abort();
      break;
    }
    case 1: {
      ControlRequest r;
      if (ParseControlRequest(body, &r).empty() && r.cmd.empty()) std::abort();
      break;
    }
    default: {
      shelfguard::net::ConsumerRequest r;  // the delivery socket's requests
      if (shelfguard::net::ParseConsumerRequest(body, &r).empty() &&
          (r.max < 1 || r.max > 10000 || r.wait_ms < 0 || r.wait_ms > 60000 || r.consumer.empty())) {
        std::abort();
      }
      break;
    }
  }
  return 0;
}
