#include "outcome_codec.h"

#include <string>

#include <gtest/gtest.h>

#include "shelfguard/engine.h"

namespace shelfguard::daemon {
namespace {

queue::ScanOutcome Sample() {
  Report r;
  r.facts.file = "app.apk";
  r.facts.sha256 = std::string(64, 'a');
  r.facts.size = 5u << 20;
  r.facts.analysed = true;
  r.facts.package.platform = Platform::kHarmony;
  r.facts.package.id = "com.example";
  r.facts.package.label = "例子";
  r.facts.package.version_name = "1.2";
  r.facts.package.version_code = "12";
  Finding f;
  f.rule_id = "SEC-DEBUGGABLE";
  f.severity = Severity::kViolation;
  f.message_en = "debuggable";
  f.message_zh = "可调试";
  f.basis = "clause 1";
  // Bytes JSON would have to escape or replace travel unchanged.
  f.evidence.push_back({"manifest", "AndroidManifest.xml", std::string("a\"\\\n\xff\0b", 7), true, "sdk.x"});
  f.evidence.push_back({"class", "classes.dex", "Lcom/x/Y;", false});
  r.findings.push_back(f);
  Finding info;
  info.rule_id = "INFO";
  info.severity = Severity::kInfo;
  info.suppression = Suppression{"accepted", "alice", "2027-01-01", "s.toml:[[suppress]] #1"};
  r.findings.push_back(info);
  ComputeVerdict(&r);
  return queue::OutcomeFromReport(r);
}

void ExpectSame(const queue::ScanOutcome& a, const queue::ScanOutcome& b) {
  EXPECT_EQ(a.analysed, b.analysed);
  EXPECT_EQ(a.file, b.file);
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.verdict, b.verdict);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.package.platform, b.package.platform);
  EXPECT_EQ(a.package.id, b.package.id);
  EXPECT_EQ(a.package.label, b.package.label);
  EXPECT_EQ(a.package.version_name, b.package.version_name);
  EXPECT_EQ(a.package.version_code, b.package.version_code);
  EXPECT_EQ(a.report, b.report);
  ASSERT_EQ(a.findings.size(), b.findings.size());
  for (size_t i = 0; i < a.findings.size(); ++i) {
    const Finding& x = a.findings[i];
    const Finding& y = b.findings[i];
    EXPECT_EQ(x.rule_id, y.rule_id);
    EXPECT_EQ(x.severity, y.severity);
    EXPECT_EQ(x.message_en, y.message_en);
    EXPECT_EQ(x.message_zh, y.message_zh);
    EXPECT_EQ(x.basis, y.basis);
    ASSERT_EQ(x.suppression.has_value(), y.suppression.has_value());
    if (x.suppression) {
      EXPECT_EQ(x.suppression->reason, y.suppression->reason);
      EXPECT_EQ(x.suppression->author, y.suppression->author);
      EXPECT_EQ(x.suppression->expires, y.suppression->expires);
      EXPECT_EQ(x.suppression->entry, y.suppression->entry);
    }
    ASSERT_EQ(x.evidence.size(), y.evidence.size());
    for (size_t k = 0; k < x.evidence.size(); ++k) {
      EXPECT_EQ(x.evidence[k].kind, y.evidence[k].kind);
      EXPECT_EQ(x.evidence[k].location, y.evidence[k].location);
      EXPECT_EQ(x.evidence[k].value, y.evidence[k].value);
      EXPECT_EQ(x.evidence[k].referenced, y.evidence[k].referenced);
      EXPECT_EQ(x.evidence[k].sdk, y.evidence[k].sdk);
    }
  }
}

TEST(OutcomeCodec, RoundTripsEveryFieldByteForByte) {
  queue::ScanOutcome o = Sample();
  ASSERT_EQ(o.verdict, "violation");
  ASSERT_TRUE(o.findings[1].suppression.has_value());
  std::string wire = EncodeOutcome(o);
  auto back = DecodeOutcome(wire);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(o, *back);
  // The report is carried as it is, not re-escaped: it appears verbatim.
  EXPECT_NE(wire.find(o.report), std::string::npos);
  // Encoding is canonical: what decodes re-encodes to the same bytes.
  EXPECT_EQ(EncodeOutcome(*back), wire);
}

TEST(OutcomeCodec, ErrorOutcomeRoundTrips) {
  auto o = queue::ErrorOutcome("x.apk", std::string(64, 'c'), 10, "scan-crashed", "died");
  auto back = DecodeOutcome(EncodeOutcome(o));
  ASSERT_TRUE(back.ok());
  ExpectSame(o, *back);
  EXPECT_EQ(back->verdict, "error");
}

TEST(OutcomeCodec, EveryTruncationIsRefused) {
  std::string wire = EncodeOutcome(Sample());
  for (size_t n = 0; n < wire.size(); ++n) {
    auto r = DecodeOutcome(std::string_view(wire).substr(0, n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes accepted";
    EXPECT_EQ(r.status().code(), "malformed");
  }
}

TEST(OutcomeCodec, LyingCountsAndValuesAreRefusedWithoutAllocating) {
  std::string wire = EncodeOutcome(Sample());
  // Trailing bytes.
  EXPECT_FALSE(DecodeOutcome(wire + "x").ok());
  // Wrong magic.
  std::string bad = wire;
  bad[3] = '2';
  EXPECT_FALSE(DecodeOutcome(bad).ok());
  // Unknown platform (byte after the u64 size).
  size_t plat = 4 + 1 + (4 + 9) + 4 + (4 + 7) + (4 + 64) + 8;
  ASSERT_EQ(static_cast<uint8_t>(wire[plat]), static_cast<uint8_t>(Platform::kHarmony));
  bad = wire;
  bad[plat] = 9;
  auto r = DecodeOutcome(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("platform"), std::string::npos);
  // A finding count of 2^32-1 with a few bytes behind it: refused at once.
  size_t count = plat + 1 + (4 + 11) + (4 + 6) + (4 + 3) + (4 + 2);
  bad = wire;
  for (int i = 0; i < 4; ++i) bad[count + i] = '\xff';
  r = DecodeOutcome(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("finding count"), std::string::npos);
  // A string length past the end.
  bad = wire;
  bad[5] = '\x7f';
  EXPECT_FALSE(DecodeOutcome(bad).ok());
}

}  // namespace
}  // namespace shelfguard::daemon
