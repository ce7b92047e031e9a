// base/time: flag durations and ISO dates.
#include "lucid/base/time.h"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

TEST(Time, ParseDurationUnits) {
  EXPECT_EQ(lucid::parse_duration("500ms"), 500ms);
  EXPECT_EQ(lucid::parse_duration("30s"), 30s);
  EXPECT_EQ(lucid::parse_duration("30"), 30s);
  EXPECT_EQ(lucid::parse_duration("5m"), 5min);
  EXPECT_EQ(lucid::parse_duration("1h"), 1h);
  EXPECT_EQ(lucid::parse_duration("7d"), 168h);
  EXPECT_EQ(lucid::parse_duration("0s"), 0ms);
}

TEST(Time, ParseDurationRefusesTheRest) {
  for (const char* bad :
       {"", "-5s", "+5s", "s", "5 s", "5w", "999999999999d", "1.5s", "5sec", "9999999999999s"})
    EXPECT_FALSE(lucid::parse_duration(bad)) << bad;
}

TEST(Time, Rfc3339OfAUnixTime) {
  EXPECT_EQ(lucid::rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(lucid::rfc3339(1795000000), "2026-11-18T11:06:40Z");
}

TEST(Time, IsoDate) {
  EXPECT_TRUE(lucid::is_iso_date("2027-05-31"));
  EXPECT_FALSE(lucid::is_iso_date("2027-13-01"));
  EXPECT_FALSE(lucid::is_iso_date("2027-5-31"));
}

}  // namespace
