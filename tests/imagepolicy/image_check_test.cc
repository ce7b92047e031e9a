// The names of image checks and finding levels at the JSON boundary: one to_string/parse pair each,
// the text `lucidctl verify --cluster --json`, `gate` and the console have always printed.
#include <gtest/gtest.h>

#include "lucid/imagepolicy/verify_images.h"

namespace lucid::imagepolicy {
namespace {

TEST(ImageCheckNames, RoundTripWithTheJsonText) {
  const std::pair<ImageCheck, std::string_view> names[] = {
      {ImageCheck::kPinned, "pinned"},    {ImageCheck::kMirror, "mirror"},
      {ImageCheck::kTag, "tag"},          {ImageCheck::kSignature, "signature"},
      {ImageCheck::kSbom, "sbom"},        {ImageCheck::kInclusion, "inclusion"},
      {ImageCheck::kAdvisory, "advisory"}};
  for (const auto& [check, text] : names) {
    EXPECT_EQ(to_string(check), text);
    auto parsed = parse_image_check(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(*parsed, check);
  }
  EXPECT_FALSE(parse_image_check("signatures"));
  EXPECT_FALSE(parse_image_check(""));
  EXPECT_FALSE(parse_image_check("SBOM"));
}

TEST(ImageCheckNames, FindingLevelsRoundTrip) {
  for (auto level :
       {ImageFinding::Level::kError, ImageFinding::Level::kWarning, ImageFinding::Level::kWaived}) {
    auto parsed = parse_finding_level(to_string(level));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, level);
  }
  EXPECT_FALSE(parse_finding_level("fatal"));
}

TEST(ImageCheckNames, VerdictJsonNamesTheCheck) {
  ClusterVerdict v;
  v.cluster = "c1";
  ImageVerdict image;
  image.service = "web";
  image.image = "registry.test/web:1";
  image.findings.push_back(
      {ImageFinding::Level::kWarning, ImageCheck::kTag, "registry.test/web:1: tag: moved"});
  v.images.push_back(image);
  auto j = to_json(v);
  const auto& f = j["images"][0]["findings"][0];
  EXPECT_EQ(f["check"], "tag");
  EXPECT_EQ(f["level"], "warning");
  EXPECT_EQ(f["unreachable"], false);
  EXPECT_TRUE(j["ok"].get<bool>());
}

}  // namespace
}  // namespace lucid::imagepolicy
