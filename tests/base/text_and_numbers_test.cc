// The helpers written once in base (issue 16): the strict number parser, trim/lower/percent-encoding
// and the Prometheus text writer.
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "lucid/base/number.h"
#include "lucid/base/prometheus.h"
#include "lucid/base/text.h"

using namespace lucid;

namespace {

TEST(ParseNumber, WholeTextInRangeOrAnErrorNamingIt) {
  EXPECT_EQ(parse_number<int>("42").value(), 42);
  EXPECT_EQ(parse_number<int>("-7").value(), -7);
  EXPECT_EQ(parse_number<std::uint16_t>("65535").value(), 65535);
  EXPECT_EQ(parse_number<std::int64_t>("9223372036854775807").value(),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_DOUBLE_EQ(parse_number<double>("1.5e3").value(), 1500.0);
  // What std::sto* accept and these do not: blanks, trailing junk, a sign on unsigned, empty text.
  for (const char* bad : {"", " 42", "42 ", "12abc", "0x10", "+", "-", "1.5"}) {
    auto r = parse_number<int>(bad, "port");
    ASSERT_FALSE(r) << "'" << bad << "' parsed";
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(r.error().message.find("port '"), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(parse_number<unsigned>("-1"));
  auto big = parse_number<std::uint16_t>("65536", "port");
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("out of range"), std::string::npos) << big.error().message;
  EXPECT_FALSE(parse_number<double>("nan-ish"));
  EXPECT_EQ(parse_number_in<int>("5", 1, 9, "level").value(), 5);
  auto out = parse_number_in<int>("10", 1, 9, "level");
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().message, "level 10 is out of range (1 to 9)");
}

TEST(Text, TrimLowerAndPercentEncode) {
  EXPECT_EQ(trim(" \t a b \r\n"), "a b");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(lower("Web-APP_1 Ä"), "web-app_1 Ä");  // ASCII only; UTF-8 bytes kept
  EXPECT_EQ(percent_encode("a-z.A_Z~09"), "a-z.A_Z~09");
  EXPECT_EQ(percent_encode("{\"label\":[\"a=b c\"]}"), "%7B%22label%22%3A%5B%22a%3Db%20c%22%5D%7D");
  EXPECT_EQ(percent_encode("é/"), "%C3%A9%2F");
  EXPECT_EQ(percent_decode("%C3%a9%2F+x").value(), "é/+x");
  EXPECT_EQ(percent_decode(percent_encode("a=b c&d")).value(), "a=b c&d");
  for (const char* bad : {"%", "%4", "%zz", "ab%g1"}) {
    auto r = percent_decode(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("is not a percent-escape"), std::string::npos) << r.error().message;
  }
}

TEST(Text, Utf8ValidityFollowsRfc3629) {
  for (const char* good : {"", "plain", "\xC2\xA9", "\xE2\x9A\x93", "\xE9\x94\x9A", "\xF0\x9F\x98\x80",
                           "\xF4\x8F\xBF\xBF", "\xED\x9F\xBF"}) {
    EXPECT_TRUE(lucid::is_valid_utf8(good)) << good;
  }
  for (const char* bad :
       {"\x80", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF0\x80\x80\xAF",
        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xE2\x9A", "a\xC2", "\xE2\x28\xA1"}) {
    EXPECT_FALSE(lucid::is_valid_utf8(bad)) << bad;
  }
}

TEST(PrometheusWriter, OneHelpPerFamilyEscapedAndBoundedLabels) {
  PrometheusWriter w;
  w.family("x_total", "counter", "Things.\nBy kind \\ name.");
  w.sample("x_total", {{"kind", "a"}}, 1);
  w.family("x_total", "counter", "written again: ignored");
  w.sample("x_total", {{"kind", "quote\" back\\slash\nnewline"}}, std::uint64_t{2});
  w.single("y", "gauge", "A gauge.", 0.25);
  w.sample("y", {}, std::numeric_limits<double>::infinity());
  w.sample("z", {}, true);
  EXPECT_EQ(w.text(),
            "# HELP x_total Things.\\nBy kind \\\\ name.\n"
            "# TYPE x_total counter\n"
            "x_total{kind=\"a\"} 1\n"
            "x_total{kind=\"quote\\\" back\\\\slash\\nnewline\"} 2\n"
            "# HELP y A gauge.\n"
            "# TYPE y gauge\n"
            "y 0.25\n"
            "y +Inf\n"
            "z 1\n");
  // A label value cannot grow a line without bound; a UTF-8 sequence is never split.
  std::string long_value(300, 'a');
  long_value[124] = '\xC3';
  long_value[125] = '\xA9';
  std::string bounded = PrometheusWriter::escape_label_value(long_value);
  EXPECT_LE(bounded.size(), PrometheusWriter::kMaxLabelValue);
  EXPECT_TRUE(bounded.ends_with("..."));
  EXPECT_EQ(bounded.substr(0, bounded.size() - 3), std::string(124, 'a'));
}

}  // namespace
