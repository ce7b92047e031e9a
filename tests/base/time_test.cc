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
  EXPECT_EQ(lucid::parse_duration("0s"), 0ms);
}

TEST(Time, ParseDurationRefusesTheRest) {
  for (const char* bad : {"", "-5s", "+5s", "s", "5 s", "5d", "1.5s", "5sec", "9999999999999s"})
    EXPECT_FALSE(lucid::parse_duration(bad)) << bad;
}

TEST(Time, IsoDate) {
  EXPECT_TRUE(lucid::is_iso_date("2027-05-31"));
  EXPECT_FALSE(lucid::is_iso_date("2027-13-01"));
  EXPECT_FALSE(lucid::is_iso_date("2027-5-31"));
}

}  // namespace
