// libFuzzer target for the displayed-number finder: the input is split into
// texts at NUL bytes, alternating between two locations so that the carry
// (numbers split across adjacent strings) and the pending-hit paths run.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "filing/number_finder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto sink = shelfguard::NewNumberFinder();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t n = 0;
  while (!in.empty()) {
    size_t cut = in.find('\0');
    std::string_view text = in.substr(0, cut);
    // A leading 0x01 switches location; otherwise texts stay adjacent.
    if (!text.empty() && text[0] == '\x01') ++n;
    sink->OnText((n & 1) ? "b" : "a", text);
    if (cut == std::string_view::npos) break;
    in.remove_prefix(cut + 1);
  }
  shelfguard::Facts facts;
  sink->Finish(&facts);
  for (const auto& d : facts.displayed_numbers) {
    if (d.text.empty() || d.kind.empty()) __builtin_trap();
  }
  return 0;
}
