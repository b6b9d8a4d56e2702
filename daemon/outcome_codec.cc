#include "outcome_codec.h"

#include <cstdint>

#include "shelfguard/byte_reader.h"

namespace shelfguard::daemon {
namespace {

constexpr std::string_view kMagic = "SGO1";
// Smallest encodings, used to bound counts by the bytes left.
constexpr size_t kMinEvidence = 4 * 4 + 1;
constexpr size_t kMinFinding = 4 + 1 + 3 * 4 + 1 + 4;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutStr(std::string* out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

class Decoder {
 public:
  explicit Decoder(std::string_view b) : r_(b) {}
  bool Str(std::string* out) {
    auto n = r_.ReadLE<uint32_t>();
    if (!n) return false;
    auto v = r_.ReadBytes(*n);
    if (!v) return false;
    out->assign(*v);
    return true;
  }
  bool U8(uint8_t* out) {
    auto v = r_.ReadLE<uint8_t>();
    if (v) *out = *v;
    return v.has_value();
  }
  bool U32(uint32_t* out) {
    auto v = r_.ReadLE<uint32_t>();
    if (v) *out = *v;
    return v.has_value();
  }
  bool U64(uint64_t* out) {
    auto v = r_.ReadLE<uint64_t>();
    if (v) *out = *v;
    return v.has_value();
  }
  bool Magic() {
    auto m = r_.ReadBytes(kMagic.size());
    return m && *m == kMagic;
  }
  size_t remaining() const { return r_.remaining(); }

 private:
  ByteReader r_;
};

Status Bad(const char* field) { return Status::Malformed(std::string("scan outcome: bad or truncated ") + field); }

}  // namespace

std::string EncodeOutcome(const queue::ScanOutcome& o) {
  std::string out;
  size_t guess = 128 + o.report.size() + o.verdict.size() + o.error.size() + o.file.size();
  for (const auto& f : o.findings) guess += 64 + f.message_en.size() + f.message_zh.size() + 96 * f.evidence.size();
  out.reserve(guess);
  out.append(kMagic);
  out.push_back(o.analysed ? 1 : 0);
  PutStr(&out, o.verdict);
  PutStr(&out, o.error);
  PutStr(&out, o.file);
  PutStr(&out, o.sha256);
  PutU64(&out, o.size);
  out.push_back(static_cast<char>(o.package.platform));
  PutStr(&out, o.package.id);
  PutStr(&out, o.package.label);
  PutStr(&out, o.package.version_name);
  PutStr(&out, o.package.version_code);
  PutU32(&out, static_cast<uint32_t>(o.findings.size()));
  for (const auto& f : o.findings) {
    PutStr(&out, f.rule_id);
    out.push_back(static_cast<char>(f.severity));
    PutStr(&out, f.message_en);
    PutStr(&out, f.message_zh);
    PutStr(&out, f.basis);
    out.push_back(f.suppression ? 1 : 0);
    if (f.suppression) {
      PutStr(&out, f.suppression->reason);
      PutStr(&out, f.suppression->author);
      PutStr(&out, f.suppression->expires);
      PutStr(&out, f.suppression->entry);
    }
    PutU32(&out, static_cast<uint32_t>(f.evidence.size()));
    for (const auto& e : f.evidence) {
      PutStr(&out, e.kind);
      PutStr(&out, e.location);
      PutStr(&out, e.value);
      out.push_back(e.referenced ? 1 : 0);
      PutStr(&out, e.sdk);
    }
  }
  PutStr(&out, o.report);
  return out;
}

Result<queue::ScanOutcome> DecodeOutcome(std::string_view bytes) {
  Decoder d(bytes);
  queue::ScanOutcome o;
  if (!d.Magic()) return Status::Malformed("scan outcome: not an SGO1 record");
  uint8_t analysed = 0, platform = 0;
  if (!d.U8(&analysed) || analysed > 1) return Bad("analysed");
  o.analysed = analysed == 1;
  if (!d.Str(&o.verdict) || !d.Str(&o.error) || !d.Str(&o.file) || !d.Str(&o.sha256)) return Bad("header");
  if (!d.U64(&o.size)) return Bad("size");
  if (!d.U8(&platform) || platform > static_cast<uint8_t>(Platform::kMiniProgram)) return Bad("platform");
  o.package.platform = static_cast<Platform>(platform);
  if (!d.Str(&o.package.id) || !d.Str(&o.package.label) || !d.Str(&o.package.version_name) ||
      !d.Str(&o.package.version_code)) {
    return Bad("package");
  }
  uint32_t nf = 0;
  if (!d.U32(&nf) || nf > d.remaining() / kMinFinding) return Bad("finding count");
  o.findings.reserve(nf);
  for (uint32_t i = 0; i < nf; ++i) {
    Finding f;
    uint8_t sev = 0;
    uint32_t ne = 0;
    if (!d.Str(&f.rule_id) || !d.U8(&sev) || sev > static_cast<uint8_t>(Severity::kBlock) ||
        !d.Str(&f.message_en) || !d.Str(&f.message_zh) || !d.Str(&f.basis)) {
      return Bad("finding");
    }
    f.severity = static_cast<Severity>(sev);
    uint8_t suppressed = 0;
    if (!d.U8(&suppressed) || suppressed > 1) return Bad("suppression");
    if (suppressed == 1) {
      Suppression s;
      if (!d.Str(&s.reason) || !d.Str(&s.author) || !d.Str(&s.expires) || !d.Str(&s.entry)) return Bad("suppression");
      f.suppression = std::move(s);
    }
    if (!d.U32(&ne) || ne > d.remaining() / kMinEvidence) return Bad("evidence count");
    f.evidence.reserve(ne);
    for (uint32_t k = 0; k < ne; ++k) {
      Evidence e;
      uint8_t ref = 0;
      if (!d.Str(&e.kind) || !d.Str(&e.location) || !d.Str(&e.value) || !d.U8(&ref) || ref > 1 ||
          !d.Str(&e.sdk)) {
        return Bad("evidence");
      }
      e.referenced = ref == 1;
      f.evidence.push_back(std::move(e));
    }
    o.findings.push_back(std::move(f));
  }
  if (!d.Str(&o.report)) return Bad("report");
  if (d.remaining() != 0) return Status::Malformed("scan outcome: bytes after the report");
  return o;
}

}  // namespace shelfguard::daemon
