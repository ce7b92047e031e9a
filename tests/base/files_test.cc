#include "lucid/base/files.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "testing/testing.h"

namespace lucid {
namespace {
namespace fs = std::filesystem;
using testing::ScratchDir;

std::vector<std::uint8_t> bytes_of(const std::string& s) {
  return {s.begin(), s.end()};
}

TEST(StagingDir, AppearsOnlyOnCommit) {
  ScratchDir tmp;
  auto target = tmp / "out";
  {
    auto staging = StagingDir::create(target).value();
    ASSERT_TRUE(write_file_atomic(staging.path() / "a", bytes_of("x")).has_value());
    EXPECT_FALSE(fs::exists(target));
    ASSERT_TRUE(staging.commit().has_value());
  }
  EXPECT_TRUE(fs::exists(target / "a"));
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 1);
}

TEST(StagingDir, LeavesNothingWhenNotCommitted) {
  ScratchDir tmp;
  {
    auto staging = StagingDir::create(tmp / "out").value();
    ASSERT_TRUE(write_file_atomic(staging.path() / "a", bytes_of("x")).has_value());
  }
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(StagingDir, RefusesNonEmptyTargetButAcceptsEmptyOne) {
  ScratchDir tmp;
  fs::create_directory(tmp / "empty");
  EXPECT_TRUE(StagingDir::create(tmp / "empty").has_value());
  fs::create_directory(tmp / "full");
  testing::write_bytes(tmp / "full" / "f", {1});
  auto r = StagingDir::create(tmp / "full");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kAlreadyExists);
  EXPECT_NE(r.error().message.find("not empty"), std::string::npos);
}

TEST(WriteFileAtomic, SetsModeAndReplaces) {
  ScratchDir tmp;
  auto p = tmp / "key";
  ASSERT_TRUE(write_file_atomic(p, bytes_of("one"), 0600).has_value());
  ASSERT_TRUE(write_file_atomic(p, bytes_of("two"), 0600).has_value());
  EXPECT_EQ(read_text_file(p).value(), "two");
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(ReadFile, NamesTheFileAndReason) {
  auto r = read_file("/nonexistent/lucid/file");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(r.error().message.find("/nonexistent/lucid/file"), std::string::npos);
  EXPECT_NE(r.error().message.find("No such file"), std::string::npos);
}

TEST(AppendLine, AppendsWholeLines) {
  ScratchDir tmp;
  ASSERT_TRUE(append_line(tmp / "log", "a").has_value());
  ASSERT_TRUE(append_line(tmp / "log", "b").has_value());
  EXPECT_EQ(read_text_file(tmp / "log").value(), "a\nb\n");
}

}  // namespace
}  // namespace lucid
