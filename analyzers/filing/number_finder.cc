// PLACEHOLDER: replaced by the displayed-number finder.
#include "filing/number_finder.h"

namespace shelfguard {
namespace {
class NullTextSink : public TextSink {
 public:
  void OnText(std::string_view, std::string_view) override {}
  void Finish(Facts*) override {}
};
}  // namespace
std::unique_ptr<TextSink> NewNumberFinder() { return std::make_unique<NullTextSink>(); }
}  // namespace shelfguard
