// BLAKE3: the official test vectors (hash, keyed_hash, derive_key, extended output), a cross-check
// against Debian's b3sum, and incremental hashing against one-shot hashing.
#include "lucid/crypto/blake3.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/hex.h"
#include "testing/testing.h"

namespace lucid::crypto {
namespace {
namespace fs = std::filesystem;
using lucid::testing::have_program;
using lucid::testing::run;
using lucid::testing::ScratchDir;
using lucid::testing::write_bytes;

std::vector<std::uint8_t> official_input(std::size_t length) {
  std::vector<std::uint8_t> input(length);
  for (std::size_t i = 0; i < length; ++i) input[i] = static_cast<std::uint8_t>(i % 251);
  return input;
}

std::vector<std::uint8_t> pseudo_random(std::size_t length, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> out(length);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

std::vector<std::uint8_t> ascii(std::string_view s) {
  return {s.begin(), s.end()};
}

// Runs b3sum with `args` then FILE, returns its trimmed hex output.
std::string b3sum_hex(std::vector<std::string> args, const fs::path& file,
                      const std::optional<fs::path>& stdin_file = {}) {
  std::vector<std::string> argv = {"b3sum", "--no-names"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(file.string());
  auto r = run(argv, stdin_file);
  EXPECT_EQ(r.exit_code, 0) << "b3sum failed: " << r.err;
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

TEST(Blake3, OfficialTestVectors) {
  auto dir = lucid::testing::shared_vectors_dir();
  if (!dir) {
    const char* env = std::getenv("LUCID_SHARED_VECTORS");
    GTEST_SKIP() << "shared vectors folder not found (LUCID_SHARED_VECTORS="
                 << (env != nullptr ? env : "<unset>")
                 << ", default ../shared/vectors beside the source tree); blake3/test_vectors.json is needed";
  }
  fs::path file = *dir / "blake3" / "test_vectors.json";
  if (!fs::exists(file)) GTEST_SKIP() << "BLAKE3 vectors absent: " << file;

  std::ifstream in(file);
  auto doc = nlohmann::json::parse(in);
  std::string key_text = doc.at("key").get<std::string>();
  ASSERT_EQ(key_text, "whats the Elvish word for friend");
  std::array<std::uint8_t, 32> key{};
  ASSERT_EQ(key_text.size(), key.size());
  std::copy(key_text.begin(), key_text.end(), key.begin());
  std::string context = doc.at("context_string").get<std::string>();
  ASSERT_EQ(context, "BLAKE3 2019-12-27 16:29:52 test vectors context");

  const auto& cases = doc.at("cases");
  ASSERT_EQ(cases.size(), 35u) << "the pinned upstream file has 35 cases";
  for (const auto& c : cases) {
    std::size_t len = c.at("input_len").get<std::size_t>();
    SCOPED_TRACE("input_len=" + std::to_string(len));
    auto input = official_input(len);
    std::string hash = c.at("hash").get<std::string>();
    std::string keyed = c.at("keyed_hash").get<std::string>();
    std::string derived = c.at("derive_key").get<std::string>();
    ASSERT_EQ(hash.size(), 2u * 131u);

    // Extended output, every mode.
    EXPECT_EQ(to_hex(Blake3().update(input).finalize_xof(131)), hash);
    EXPECT_EQ(to_hex(Blake3::keyed(key).update(input).finalize_xof(131)), keyed);
    EXPECT_EQ(to_hex(Blake3::derive_key(context).update(input).finalize_xof(131)), derived);
    // The default 32-byte output is the prefix of the extended output.
    EXPECT_EQ(to_hex(blake3(input)), hash.substr(0, 64));
    EXPECT_EQ(to_hex(Blake3().update(input).finalize()), hash.substr(0, 64));
    EXPECT_EQ(to_hex(Blake3::keyed(key).update(input).finalize()), keyed.substr(0, 64));
    EXPECT_EQ(to_hex(Blake3::derive_key(context).update(input).finalize()), derived.substr(0, 64));
    // A shorter extended output is a prefix too.
    EXPECT_EQ(to_hex(Blake3().update(input).finalize_xof(7)), hash.substr(0, 14));
  }
}

TEST(Blake3, MatchesB3sumOnSeveralSizes) {
  if (!have_program("b3sum")) GTEST_SKIP() << "b3sum is not on PATH (apt-get install -y b3sum)";
  ScratchDir dir;
  const std::size_t sizes[] = {0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 4097, 1024 * 1024 + 7};
  for (std::size_t size : sizes) {
    for (int pattern = 0; pattern < 2; ++pattern) {
      SCOPED_TRACE("size=" + std::to_string(size) + (pattern == 0 ? " counting" : " random"));
      auto data = pattern == 0 ? official_input(size) : pseudo_random(size, 0x6c756369 + size);
      auto file = dir / "input.bin";
      write_bytes(file, data);
      EXPECT_EQ(to_hex(blake3(data)), b3sum_hex({}, file));
    }
  }
}

TEST(Blake3, KeyedDeriveKeyAndXofMatchB3sum) {
  if (!have_program("b3sum")) GTEST_SKIP() << "b3sum is not on PATH (apt-get install -y b3sum)";
  ScratchDir dir;
  auto data = pseudo_random(5000, 42);
  auto file = dir / "input.bin";
  write_bytes(file, data);

  auto key_bytes = pseudo_random(32, 7);
  std::array<std::uint8_t, 32> key{};
  std::copy(key_bytes.begin(), key_bytes.end(), key.begin());
  auto key_file = dir / "key.bin";
  write_bytes(key_file, key_bytes);
  EXPECT_EQ(to_hex(Blake3::keyed(key).update(data).finalize()), b3sum_hex({"--keyed"}, file, key_file));

  const std::string context = "lucid crypto_test 2024 derive-key cross-check";
  EXPECT_EQ(to_hex(Blake3::derive_key(context).update(data).finalize()),
            b3sum_hex({"--derive-key", context}, file));

  EXPECT_EQ(to_hex(Blake3().update(data).finalize_xof(200)), b3sum_hex({"--length", "200"}, file));
}

TEST(Blake3, IncrementalEqualsOneShot) {
  const std::size_t sizes[] = {0, 1, 64, 1023, 1024, 1025, 3 * 1024 + 17, 70000};
  const std::size_t pieces[] = {1, 7, 63, 64, 65, 1000, 1024, 4096};
  for (std::size_t size : sizes) {
    auto data = pseudo_random(size, size * 31 + 1);
    Digest one_shot = blake3(data);
    for (std::size_t piece : pieces) {
      SCOPED_TRACE("size=" + std::to_string(size) + " piece=" + std::to_string(piece));
      Blake3 h;
      std::span<const std::uint8_t> rest(data);
      while (!rest.empty()) {
        std::size_t n = std::min(piece, rest.size());
        h.update(rest.first(n));
        rest = rest.subspan(n);
      }
      EXPECT_EQ(h.finalize(), one_shot);
      EXPECT_EQ(h.finalize_xof(100), Blake3().update(data).finalize_xof(100));
    }
  }
  // Uneven random split points.
  auto data = pseudo_random(50000, 99);
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    Blake3 h;
    std::size_t pos = 0;
    while (pos < data.size()) {
      std::size_t n = std::min<std::size_t>(rng() % 3000, data.size() - pos);
      h.update(std::span<const std::uint8_t>(data).subspan(pos, n));
      pos += n;
    }
    EXPECT_EQ(h.finalize(), blake3(data)) << "trial " << trial;
  }
}

TEST(Blake3, FinalizeDoesNotConsumeTheHasher) {
  auto a = pseudo_random(1500, 1);
  auto b = pseudo_random(700, 2);
  std::vector<std::uint8_t> ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  Blake3 h;
  h.update(a);
  EXPECT_EQ(h.finalize(), blake3(a));
  EXPECT_EQ(h.finalize(), blake3(a));
  h.update(b);
  EXPECT_EQ(h.finalize(), blake3(ab));
}

TEST(Blake3, ModesAreDistinct) {
  auto data = ascii("lucid");
  std::array<std::uint8_t, 32> zero_key{};
  auto plain = blake3(data);
  EXPECT_NE(Blake3::keyed(zero_key).update(data).finalize(), plain);
  EXPECT_NE(Blake3::derive_key("").update(data).finalize(), plain);
  EXPECT_NE(Blake3::derive_key("a").update(data).finalize(), Blake3::derive_key("b").update(data).finalize());
}

}  // namespace
}  // namespace lucid::crypto

namespace lucid::crypto {
namespace {
TEST(Blake3, DeriveKeyUsesTheWholeContext) {
  using namespace std::literals;
  EXPECT_NE(Blake3::derive_key("ctx"sv).finalize(), Blake3::derive_key("ctx\0extra"sv).finalize());
}
}  // namespace
}  // namespace lucid::crypto
