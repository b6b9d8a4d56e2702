#include "shelfguard/limits.h"

#include <gtest/gtest.h>

#include "core/decimal.h"
#include "shelfguard/byte_reader.h"

namespace shelfguard {
namespace {

TEST(ByteReader, RefusesReadsPastTheEndWithoutMoving) {
  const uint8_t data[] = {1, 0, 0, 0, 0xFF};
  ByteReader r(data, sizeof(data));
  EXPECT_EQ(r.ReadLE<uint32_t>(), 1u);
  EXPECT_FALSE(r.ReadLE<uint32_t>().has_value());
  EXPECT_EQ(r.pos(), 4u);
  EXPECT_EQ(r.ReadLE<uint8_t>(), 0xFF);
  EXPECT_FALSE(r.BytesAt(UINT64_MAX - 1, 4).has_value());  // offset + len would overflow
  EXPECT_FALSE(r.Sub(2, UINT64_MAX).has_value());
  EXPECT_FALSE(r.Seek(6));
}

// Each way of reading an integer gives the same value for its byte order,
// whether read at the cursor, peeked, taken at an offset or from a Record,
// and none reads past the end.
TEST(ByteReader, BothByteOrdersAgreeAcrossEveryRead) {
  const uint8_t data[] = {0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0};
  ByteReader r(data, sizeof(data));
  ASSERT_TRUE(r.Skip(2));
  EXPECT_EQ(r.ReadLE<uint16_t>(), 0x7856u);
  EXPECT_EQ(r.ReadBE<uint16_t>(), 0x9ABCu);
  EXPECT_EQ(r.ReadBE<uint32_t>(), std::nullopt);  // 2 bytes left: refused, cursor kept
  EXPECT_EQ(r.pos(), 6u);
  uint64_t le = 0, be = 0;
  ASSERT_TRUE(r.PeekLEAt(0, &le));
  ASSERT_TRUE(r.PeekBEAt(0, &be));
  EXPECT_EQ(le, 0xF0DEBC9A78563412u);
  EXPECT_EQ(be, 0x123456789ABCDEF0u);
  EXPECT_FALSE(r.PeekLEAt(1, &le));
  EXPECT_EQ(r.LEAt<uint32_t>(4), 0xF0DEBC9Au);
  EXPECT_EQ(r.BEAt<uint32_t>(4), 0x9ABCDEF0u);
  EXPECT_EQ(r.BEAt<uint32_t>(5), std::nullopt);
  EXPECT_EQ(r.BEAt<int32_t>(4), static_cast<int32_t>(0x9ABCDEF0u));  // signed: same bits
  EXPECT_EQ(r.LEAt<int32_t>(4), static_cast<int32_t>(0xF0DEBC9Au));
  EXPECT_EQ(r.BEAt<uint8_t>(7), 0xF0u);
  auto rec = Record::At(r, 2, 4);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->LE<uint16_t>(2), 0xBC9Au);
  EXPECT_EQ(rec->BE<uint32_t>(0), 0x56789ABCu);
  EXPECT_TRUE(rec->ok());
  EXPECT_EQ(rec->BE<uint16_t>(3), 0u);  // past the record: 0, and ok() cleared
  EXPECT_FALSE(rec->ok());
}

TEST(ByteReader, CStringNeedsATerminatorInBounds) {
  const char data[] = {'a', 'b', 0, 'c', 'd'};
  ByteReader r(reinterpret_cast<const uint8_t*>(data), sizeof(data));
  EXPECT_EQ(r.CStringAt(0, 16), "ab");
  EXPECT_FALSE(r.CStringAt(3, 16).has_value());  // runs off the end
  EXPECT_FALSE(r.CStringAt(0, 1).has_value());   // longer than allowed
}

TEST(ByteReader, Uleb128IsBoundedToFiveBytes) {
  const uint8_t ok[] = {0xE5, 0x8E, 0x26};
  ByteReader a(ok, sizeof(ok));
  EXPECT_EQ(a.ReadUleb128(), 624485u);
  const uint8_t endless[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
  ByteReader b(endless, sizeof(endless));
  EXPECT_FALSE(b.ReadUleb128().has_value());
}

TEST(Budget, EntryLimitsAndRatio) {
  Limits l;
  l.max_entry_bytes = 10 << 20;
  l.max_ratio = 100;
  Budget b(l);
  EXPECT_TRUE(b.CheckEntry("a", 1000, 5000).ok());
  Status big = b.CheckEntry("big", 1 << 20, 11 << 20);
  EXPECT_EQ(big.code(), "over-limit");
  EXPECT_NE(big.message().find("big"), std::string::npos);
  EXPECT_EQ(b.CheckEntry("bomb", 1000, 5 << 20).code(), "over-limit");
}

TEST(Budget, ChargesTotalAndStopsInflationPastLimits) {
  Limits l;
  l.max_total_inflated = 3 << 20;
  l.max_ratio = 1000000;
  Budget b(l);
  EXPECT_TRUE(b.ChargeInflated("a", 2 << 20, 2 << 20, 1 << 20).ok());
  Status st = b.ChargeInflated("b", 2 << 20, 2 << 20, 1 << 20);
  EXPECT_EQ(st.code(), "over-limit");
  EXPECT_EQ(b.total_inflated(), 4u << 20);
}

TEST(Budget, CountsDepthDeadlineAndCancel) {
  Limits l;
  l.max_table_items = 10;
  l.max_depth = 2;
  l.deadline_ms = 60000;
  Budget b(l);
  EXPECT_TRUE(b.CheckCount("strings", 10).ok());
  EXPECT_EQ(b.CheckCount("strings", 11).code(), "over-limit");
  EXPECT_TRUE(b.CheckDepth(2).ok());
  EXPECT_FALSE(b.CheckDepth(3).ok());
  EXPECT_FALSE(b.Expired());
  b.Cancel();
  EXPECT_TRUE(b.Expired());
  EXPECT_EQ(b.CheckDeadline().code(), "timeout");
}

TEST(ParseDecimal, DigitsOnlyWithinTheLengthAndUint64) {
  struct Case {
    const char* text;
    size_t max_digits;
    std::optional<uint64_t> want;
  };
  const Case kCases[] = {
      {"0", 10, 0},
      {"0042", 10, 42},
      {"4294967295", 10, 4294967295u},
      {"12345678901", 10, std::nullopt},  // over max_digits
      {"999999999999999999", 18, 999999999999999999u},
      {"18446744073709551615", std::string_view::npos, UINT64_MAX},
      {"18446744073709551616", std::string_view::npos, std::nullopt},  // wraps
      {"000000000000000000000001", std::string_view::npos, 1},
      {"", 10, std::nullopt},
      {"-1", 10, std::nullopt},
      {"+1", 10, std::nullopt},
      {" 1", 10, std::nullopt},
      {"1 ", 10, std::nullopt},
      {"0x10", 10, std::nullopt},
      {"\xd9\xa3", 10, std::nullopt},  // Arabic-Indic digit three: not ASCII
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(ParseDecimal(c.text, c.max_digits), c.want) << c.text;
  }
}

TEST(Limits, SetByName) {
  Limits l;
  EXPECT_TRUE(l.Set("max_entries", 7));
  EXPECT_EQ(l.max_entries, 7u);
  EXPECT_TRUE(l.Set("max_depth", 1));
  EXPECT_EQ(l.max_depth, 1u);
  EXPECT_FALSE(l.Set("no_such_limit", 1));
}

}  // namespace
}  // namespace shelfguard
