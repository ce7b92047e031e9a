// blockchain-ledger's archival store: blocks continue the archive without gaps, all of a batch or
// none; an archive belongs to one chain; snapshots are listed in height order.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lucid/ledger_archive/archive_store.h"
#include "testing/testing.h"

namespace lucid::ledger_archive {
namespace {

ArchivedBlock block_at(std::uint64_t height) {
  return ArchivedBlock{height, std::string(64, 'a'), std::string(64, 'b'), 1000 + height,
                       fmt::format("{{\"height\":{}}}", height)};
}

TEST(ArchiveStoreTest, BlocksContinueTheArchiveAllOfABatchOrNone) {
  testing::ScratchDir dir;
  auto store = ArchiveStore::open(dir / "archive.db", "lucid-test", std::string(64, '1'));
  ASSERT_TRUE(store.has_value()) << store.error().message;
  EXPECT_EQ(store->archived_height().value(), 0u);
  ASSERT_TRUE(store->append({block_at(1), block_at(2)}).has_value());
  EXPECT_EQ(store->archived_height().value(), 2u);
  EXPECT_EQ(store->block_document(2).value().value(), "{\"height\":2}");
  EXPECT_FALSE(store->block_document(3).value().has_value());

  // A gap in the middle of a batch: refused, and the batch's first block is not kept either.
  auto gap = store->append({block_at(3), block_at(5)});
  ASSERT_FALSE(gap.has_value());
  EXPECT_NE(gap.error().message.find("continues at height 4, not 5"), std::string::npos)
      << gap.error().message;
  EXPECT_EQ(store->archived_height().value(), 2u);
  EXPECT_FALSE(store->block_document(3).value().has_value());
  // A block archived twice: refused.
  EXPECT_FALSE(store->append({block_at(2)}).has_value());
  ASSERT_TRUE(store->append({block_at(3)}).has_value());
  EXPECT_EQ(store->archived_height().value(), 3u);
}

TEST(ArchiveStoreTest, AnArchiveBelongsToOneChainAndIsPrivate) {
  testing::ScratchDir dir;
  {
    auto store = ArchiveStore::open(dir / "archive.db", "lucid-test", std::string(64, '1'));
    ASSERT_TRUE(store.has_value()) << store.error().message;
    ASSERT_TRUE(store->append({block_at(1)}).has_value());
  }
  auto other = ArchiveStore::open(dir / "archive.db", "lucid-test", std::string(64, '2'));
  ASSERT_FALSE(other.has_value());
  EXPECT_NE(other.error().message.find("its own archive directory"), std::string::npos)
      << other.error().message;
  auto again = ArchiveStore::open(dir / "archive.db", "lucid-test", std::string(64, '1'));
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->archived_height().value(), 1u);
  EXPECT_EQ(std::filesystem::status(dir / "archive.db").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(ArchiveStoreTest, SnapshotsAreListedInHeightOrder) {
  testing::ScratchDir dir;
  auto store = ArchiveStore::open(dir / "archive.db", "lucid-test", std::string(64, '1'));
  ASSERT_TRUE(store.has_value()) << store.error().message;
  for (std::uint64_t height : {9u, 3u, 6u})
    ASSERT_TRUE(store->record_snapshot({height, fmt::format("{}.snapshot", height), "root", height * 10}));
  ASSERT_TRUE(store->forget_snapshot(3));
  auto listed = store->snapshots().value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].height, 6u);
  EXPECT_EQ(listed[1].height, 9u);
  EXPECT_EQ(listed[1].file, "9.snapshot");
  EXPECT_EQ(listed[1].bytes, 90u);
}

}  // namespace
}  // namespace lucid::ledger_archive
