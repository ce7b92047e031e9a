// End-to-end tests of the real `lucid-node-worker` binary (issue 2, "What must be shown"):
//   item 2 byte-identical round trips and chunk bounds, item 3 tampering caught and named with no
//   unauthenticated plaintext, item 5 compression figures, item 6 bad input — plus keygen, key hygiene,
//   proofs and the --json forms. Exit codes: 0 ok, 1 verify failed, 2 bad input, 3 open incident.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/hex.h"
#include "lucid/crypto/merkle.h"
#include "lucid/seal/keys.h"
#include "lucid/seal/manifest.h"
#include "testing/data.h"
#include "testing/testing.h"

namespace lucid::e2e {
namespace {
namespace fs = std::filesystem;
using lucid::testing::bin_dir;
using lucid::testing::read_bytes;
using lucid::testing::RunResult;
using lucid::testing::ScratchDir;
using lucid::testing::write_bytes;
using nlohmann::json;

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::uint64_t kChunk = 8 * kMiB;

std::string worker() {
  return (bin_dir() / "lucid-node-worker").string();
}

// ---- data ----

using lucid::testing::write_random_file;

void write_text_file(const fs::path& path, std::uint64_t n, std::uint64_t seed) {
  lucid::testing::write_log_text_file(path, n, seed);
}

// Streams both files; true when their bytes are identical.
bool files_equal(const fs::path& a, const fs::path& b) {
  std::ifstream fa(a, std::ios::binary);
  std::ifstream fb(b, std::ios::binary);
  if (!fa || !fb) return false;
  std::vector<char> ba(kMiB);
  std::vector<char> bb(kMiB);
  for (;;) {
    fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    fb.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    if (fa.gcount() != fb.gcount()) return false;
    if (!std::equal(ba.begin(), ba.begin() + fa.gcount(), bb.begin())) return false;
    if (fa.gcount() == 0 || !fa) return !fb || fb.gcount() == 0 || fb.peek() == EOF;
  }
}

std::string read_text(const fs::path& path) {
  auto bytes = read_bytes(path);
  return {bytes.begin(), bytes.end()};
}

void write_text(const fs::path& path, const std::string& text) {
  write_bytes(path, {text.begin(), text.end()});
}

std::string file_prefix(const fs::path& path, std::uint64_t n) {
  std::ifstream f(path, std::ios::binary);
  std::string out(n, '\0');
  f.read(out.data(), static_cast<std::streamsize>(n));
  out.resize(static_cast<std::size_t>(f.gcount()));
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) names.insert(e.path().filename().string());
  return names;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

// The 64-hex value of a key file (the line that is not a comment).
std::optional<std::string> key_hex_of(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  for (const auto& line : split_lines(read_text(path))) {
    if (line.size() == 64 && line.find_first_not_of("0123456789abcdef") == std::string::npos) return line;
  }
  return std::nullopt;
}

void flip_byte(const fs::path& path, std::uint64_t offset) {
  auto bytes = read_bytes(path);
  ASSERT_LT(offset, bytes.size());
  bytes[offset] ^= 0x5a;
  write_bytes(path, bytes);
}

std::string chunk_name(std::uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08llu.sealed", static_cast<unsigned long long>(i));
  return buf;
}

// Exactly one stderr line "lucid-node-worker: error: …", nothing on stdout, the given exit code.
void expect_one_error_line(const RunResult& r, int exit_code, const std::string& must_contain = "") {
  EXPECT_EQ(r.exit_code, exit_code) << r.err;
  auto lines = split_lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << "expected exactly one stderr line, got:\n" << r.err;
  EXPECT_TRUE(lines[0].starts_with("lucid-node-worker: error: ")) << lines[0];
  EXPECT_TRUE(r.err.ends_with("\n"));
  EXPECT_NE(lines[0].find(must_contain), std::string::npos)
      << "expected \"" << must_contain << "\" in: " << lines[0];
  EXPECT_TRUE(r.out.empty()) << r.out;
}

bool is_rfc3339_utc(const std::string& s) {
  static const std::regex re(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z)");
  return std::regex_match(s, re);
}

// ---- fixture: a scratch dir, a node key, and every captured output checked for key material ----

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_key_ = dir_ / "node.key";
    auto r = w({"keygen", "--out", node_key_.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void TearDown() override {
    std::vector<std::string> secrets = extra_secrets_;
    for (const auto& e : fs::recursive_directory_iterator(dir_.path())) {
      std::string name = e.path().filename().string();
      if (name.ends_with(".pub")) continue;
      if (!name.ends_with(".key") && !name.starts_with("key")) continue;
      if (auto hex = key_hex_of(e.path())) secrets.push_back(*hex);
    }
    ASSERT_FALSE(secrets.empty());
    for (const auto& secret : secrets) {
      std::string upper = secret;
      std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return std::toupper(c); });
      for (const auto& text : captured_) {
        EXPECT_EQ(text.find(secret), std::string::npos) << "key material appeared in output:\n" << text;
        EXPECT_EQ(text.find(upper), std::string::npos) << "key material appeared in output:\n" << text;
        // Not even a long fragment of it.
        EXPECT_EQ(text.find(secret.substr(8, 24)), std::string::npos) << text;
      }
    }
  }

  // Runs the worker; stdout is recorded for the key check unless it carries plaintext.
  RunResult w(std::vector<std::string> args, const std::optional<fs::path>& stdin_file = {},
              bool stdout_is_plaintext = false) {
    args.insert(args.begin(), worker());
    RunResult r = lucid::testing::run(args, stdin_file);
    if (!stdout_is_plaintext) captured_.push_back(r.out);
    captured_.push_back(r.err);
    return r;
  }

  RunResult seal(const fs::path& input, const fs::path& out, const fs::path& key,
                 std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"seal",
                                     input.string(),
                                     "--out",
                                     out.string(),
                                     "--node-key",
                                     node_key_.string(),
                                     "--session-key-file",
                                     key.string(),
                                     "--no-fsync"};
    args.insert(args.end(), extra.begin(), extra.end());
    return w(args);
  }

  ScratchDir dir_;
  fs::path node_key_;
  std::vector<std::string> captured_;
  std::vector<std::string> extra_secrets_;
};

// ---- item 2: round trips ----

class RoundTrip : public WorkerTest {
 protected:
  // Seals `input` (a path or "-" with `stdin_file`), checks the manifest's chunk layout, verifies and
  // opens it, and requires the restored bytes to equal the input. Returns seal --json's object.
  json round_trip(const fs::path& input, std::uint64_t chunk_size, std::vector<std::string> extra = {},
                  const std::optional<fs::path>& stdin_file = {}, bool also_stdout = false) {
    const fs::path source = stdin_file ? *stdin_file : input;
    const std::uint64_t size = fs::file_size(source);
    const std::string tag = std::to_string(++cases_);
    const fs::path session = dir_ / ("session-" + tag);
    const fs::path key = dir_ / ("s-" + tag + ".key");
    std::vector<std::string> args = {"seal",
                                     input.string(),
                                     "--out",
                                     session.string(),
                                     "--node-key",
                                     node_key_.string(),
                                     "--session-key-file",
                                     key.string(),
                                     "--no-fsync",
                                     "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult s = w(args, stdin_file);
    EXPECT_EQ(s.exit_code, 0) << s.err;
    if (s.exit_code != 0) return {};
    EXPECT_EQ(mode_of(key), 0600u);
    json summary = json::parse(s.out);

    json m = json::parse(read_text(session / "manifest.json"));
    const std::uint64_t expected_chunks = std::max<std::uint64_t>(1, (size + chunk_size - 1) / chunk_size);
    EXPECT_EQ(m["chunk_size"], chunk_size);
    EXPECT_EQ(m["chunk_count"], expected_chunks);
    EXPECT_EQ(m["total_bytes"], size);
    EXPECT_EQ(summary["chunk_count"], expected_chunks);
    EXPECT_EQ(summary["total_bytes"], size);
    const auto& chunks = m["chunks"];
    EXPECT_EQ(chunks.size(), expected_chunks);
    std::uint64_t sum = 0;
    std::uint64_t sealed = 0;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      const std::uint64_t plain = chunks[i]["plain_bytes"];
      const bool last = i + 1 == chunks.size();
      EXPECT_LE(plain, chunk_size) << "chunk " << i;
      EXPECT_LE(plain, 16 * kMiB) << "chunk " << i;
      if (!last) {
        EXPECT_EQ(plain, chunk_size) << "only the last chunk may be shorter; chunk " << i;
        EXPECT_GE(plain, 8 * kMiB) << "chunk " << i;
      }
      if (last && size > 0) {
        EXPECT_GT(plain, 0u);
      }
      sum += plain;
      const std::uint64_t sealed_bytes = chunks[i]["sealed_bytes"];
      EXPECT_EQ(fs::file_size(session / "chunks" / chunk_name(i)), sealed_bytes) << "chunk " << i;
      sealed += sealed_bytes;
    }
    EXPECT_EQ(sum, size);
    EXPECT_EQ(summary["sealed_bytes"], sealed);
    EXPECT_EQ(listing(session / "chunks").size(), expected_chunks);

    RunResult v = w({"verify", session.string(), "--node-pub", node_key_.string() + ".pub"});
    EXPECT_EQ(v.exit_code, 0) << v.err;
    EXPECT_TRUE(v.out.starts_with("OK")) << v.out;

    const fs::path restored = dir_ / ("restored-" + tag);
    RunResult o = w({"open", session.string(), "--session-key-file", key.string(), "-o", restored.string(),
                     "--node-pub", node_key_.string() + ".pub"});
    EXPECT_EQ(o.exit_code, 0) << o.err;
    EXPECT_EQ(fs::file_size(restored), size);
    EXPECT_TRUE(files_equal(restored, source)) << "restored bytes differ from the input";
    EXPECT_EQ(mode_of(restored), 0600u);
    if (also_stdout) {
      RunResult so = w({"open", session.string(), "--session-key-file", key.string(), "-o", "-"}, {}, true);
      EXPECT_EQ(so.exit_code, 0) << so.err;
      EXPECT_TRUE(so.out == read_text(source)) << "open -o - differs from the input";
    }
    EXPECT_FALSE(fs::exists(dir_ / "lucid-incidents.jsonl"));
    // Nothing hidden (staging, temporary) left beside the outputs.
    for (const auto& name : listing(dir_.path())) EXPECT_FALSE(name.starts_with(".")) << name;
    fs::remove_all(session);
    fs::remove(restored);
    return summary;
  }
  int cases_ = 0;
};

TEST_F(RoundTrip, EmptyInput) {
  write_text(dir_ / "in", "");
  json s = round_trip(dir_ / "in", kChunk, {}, {}, true);
  EXPECT_EQ(s["chunk_count"], 1);
}

TEST_F(RoundTrip, OneByte) {
  write_text(dir_ / "in", "x");
  round_trip(dir_ / "in", kChunk, {}, {}, true);
}

TEST_F(RoundTrip, ExactlyOneChunk) {
  write_random_file(dir_ / "in", kChunk, 1);
  json s = round_trip(dir_ / "in", kChunk, {}, {}, true);
  EXPECT_EQ(s["chunk_count"], 1);
}

TEST_F(RoundTrip, OneChunkPlusOneByte) {
  write_random_file(dir_ / "in", kChunk + 1, 2);
  json s = round_trip(dir_ / "in", kChunk, {}, {}, true);
  EXPECT_EQ(s["chunk_count"], 2);
}

TEST_F(RoundTrip, Random100MiB) {
  write_random_file(dir_ / "in", 100 * kMiB, 3);
  json s = round_trip(dir_ / "in", kChunk);
  EXPECT_EQ(s["chunk_count"], 13);
  // Item 5: incompressible data grows only by the AEAD tag and Zstd's raw-block framing.
  const std::uint64_t sealed = s["sealed_bytes"];
  const std::uint64_t overhead = sealed - 100 * kMiB;
  const std::uint64_t bound = 13 * (16 + 32) + 3 * (100 * kMiB / (128 * 1024));
  std::printf(
      "[ figures  ] seal 100 MiB random: sealed %llu bytes, overhead %llu bytes (bound %llu), ratio %.6f\n",
      static_cast<unsigned long long>(sealed), static_cast<unsigned long long>(overhead),
      static_cast<unsigned long long>(bound), s["sealed_to_plain_ratio"].get<double>());
  EXPECT_GE(sealed, 100 * kMiB);
  EXPECT_LE(overhead, bound);
}

TEST_F(RoundTrip, Text100MiB) {
  write_text_file(dir_ / "in", 100 * kMiB, 4);
  json s = round_trip(dir_ / "in", kChunk);
  EXPECT_EQ(s["chunk_count"], 13);
  const double ratio = s["sealed_to_plain_ratio"];
  std::printf("[ figures  ] seal 100 MiB text-like: sealed %llu bytes, ratio %.4f\n",
              static_cast<unsigned long long>(s["sealed_bytes"].get<std::uint64_t>()), ratio);
  EXPECT_LT(ratio, 0.5);
  EXPECT_NEAR(ratio, s["sealed_bytes"].get<double>() / static_cast<double>(100 * kMiB), 1e-6);
}

TEST_F(RoundTrip, StdinFromFile) {
  write_text_file(dir_ / "in", 2 * kChunk + 4242, 5);
  json s = round_trip("-", kChunk, {}, dir_ / "in");
  EXPECT_EQ(s["chunk_count"], 3);
  // "-" is also the default input.
  write_text(dir_ / "small", "from standard input");
  RunResult r = w({"seal", "--out", (dir_ / "d").string(), "--node-key", node_key_.string(),
                   "--session-key-file", (dir_ / "d.key").string(), "--no-fsync"},
                  dir_ / "small");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RunResult o = w({"open", (dir_ / "d").string(), "--session-key-file", (dir_ / "d.key").string(), "-o", "-"},
                  {}, true);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "from standard input");
}

TEST_F(RoundTrip, StdinFromAPipe) {
  // A real pipe (short reads), as in `ffmpeg … -f mpegts - | lucid-node-worker seal - …`.
  write_random_file(dir_ / "in", kChunk + 3 * kMiB + 7, 6);
  const fs::path session = dir_ / "piped";
  RunResult s =
      lucid::testing::run({"/bin/sh", "-c",
                           "cat '" + (dir_ / "in").string() + "' | '" + worker() + "' seal - --out '" +
                               session.string() + "' --node-key '" + node_key_.string() +
                               "' --session-key-file '" + (dir_ / "p.key").string() + "' --no-fsync --json"});
  captured_.push_back(s.out);
  captured_.push_back(s.err);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(json::parse(s.out)["chunk_count"], 2);
  RunResult o = w({"open", session.string(), "--session-key-file", (dir_ / "p.key").string(), "-o",
                   (dir_ / "out").string()});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(files_equal(dir_ / "out", dir_ / "in"));
}

TEST_F(RoundTrip, ChunkSize16MiB) {
  write_random_file(dir_ / "in", 40 * kMiB + 5, 7);
  json s = round_trip(dir_ / "in", 16 * kMiB, {"--chunk-size", "16MiB"});
  EXPECT_EQ(s["chunk_count"], 3);
}

TEST_F(RoundTrip, ChunkSize12MiB) {
  write_random_file(dir_ / "in", 40 * kMiB + 5, 8);
  json s = round_trip(dir_ / "in", 12 * kMiB, {"--chunk-size", "12MiB"});
  EXPECT_EQ(s["chunk_count"], 4);
  // The same size in bytes and in M.
  s = round_trip(dir_ / "in", 12 * kMiB, {"--chunk-size", std::to_string(12 * kMiB)});
  EXPECT_EQ(s["chunk_count"], 4);
  s = round_trip(dir_ / "in", 12 * kMiB, {"--chunk-size", "12M", "--threads", "1"});
  EXPECT_EQ(s["chunk_count"], 4);
}

TEST_F(RoundTrip, ChunkSizeBoundsAreInclusive) {
  write_random_file(dir_ / "in", 17 * kMiB, 9);
  EXPECT_EQ(round_trip(dir_ / "in", 8 * kMiB, {"--chunk-size", "8388608"})["chunk_count"], 3);
  EXPECT_EQ(round_trip(dir_ / "in", 16 * kMiB, {"--chunk-size", "16777216"})["chunk_count"], 2);
}

// `--out sess/` (a trailing slash, as shell completion writes it) names the same directory as `sess`.
// The staging sibling is derived from the target's filename, which is empty here, so seal fails with
// "sess/..staging-XXXXXX: cannot create staging directory" (or, for an existing empty directory,
// "cannot move output into place: Directory not empty").
TEST_F(RoundTrip, OutDirWithTrailingSlash) {
  write_text(dir_ / "in", "trailing slash");
  RunResult r = seal(dir_ / "in", (dir_ / "s").string() + "/", dir_ / "s.key");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  fs::create_directory(dir_ / "empty");
  RunResult e = seal(dir_ / "in", (dir_ / "empty").string() + "/", dir_ / "s.key");
  EXPECT_EQ(e.exit_code, 0) << e.err;
  for (const char* name : {"s", "empty"}) {
    SCOPED_TRACE(name);
    const std::string dir = (dir_ / name).string() + "/";
    EXPECT_EQ(w({"verify", dir, "--node-pub", node_key_.string() + ".pub"}).exit_code, 0);
    RunResult o = w({"open", dir, "--session-key-file", (dir_ / "s.key").string(), "-o", "-"}, {}, true);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    EXPECT_EQ(o.out, "trailing slash");
  }
  for (const auto& name : listing(dir_.path())) EXPECT_FALSE(name.starts_with(".")) << name;
}

TEST_F(RoundTrip, ZstdLevelAndCodecAreRecorded) {
  write_text_file(dir_ / "in", kChunk + 100, 10);
  RunResult s = seal(dir_ / "in", dir_ / "s", dir_ / "s.key", {"--level", "1", "--codec", "video/mp2t"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  json m = json::parse(read_text(dir_ / "s" / "manifest.json"));
  EXPECT_EQ(m["compression"]["level"], 1);
  EXPECT_EQ(m["codec"], "video/mp2t");
  RunResult o = w({"open", (dir_ / "s").string(), "--session-key-file", (dir_ / "s.key").string(), "-o",
                   (dir_ / "out").string()});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(files_equal(dir_ / "out", dir_ / "in"));
}

// ---- item 3: tampering ----

// One ~20 MB random recording sealed in 8 MiB chunks (3 chunks: 8 MiB, 8 MiB, the rest), shared by
// the suite; each test tampers with its own copy.
class Tamper : public WorkerTest {
 protected:
  static constexpr std::uint64_t kInputBytes = 20'000'000;
  static constexpr std::uint64_t kChunks = 3;

  static void SetUpTestSuite() {
    suite_ = std::make_unique<ScratchDir>();
    write_random_file(*suite_ / "input", kInputBytes, 20);
    ASSERT_TRUE(lucid::seal::generate_node_key(*suite_ / "suite-node.key").has_value());
    RunResult r = lucid::testing::run({worker(), "seal", (*suite_ / "input").string(), "--out",
                                       (*suite_ / "sealed").string(), "--node-key",
                                       (*suite_ / "suite-node.key").string(), "--session-key-file",
                                       (*suite_ / "suite-session.key").string(), "--no-fsync"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    session_id_ = json::parse(read_text(*suite_ / "sealed" / "manifest.json"))["session_id"];
  }
  static void TearDownTestSuite() { suite_.reset(); }

  void SetUp() override {
    WorkerTest::SetUp();
    ASSERT_TRUE(suite_) << "suite set-up failed";
    fs::copy(*suite_ / "sealed", s_, fs::copy_options::recursive);
    fs::create_directory(dir_ / "restore");
    for (const char* f : {"suite-node.key", "suite-session.key"}) {
      if (auto hex = key_hex_of(*suite_ / f)) extra_secrets_.push_back(*hex);
    }
    ASSERT_EQ(extra_secrets_.size(), 2u);
  }

  fs::path chunk(std::uint64_t i) const { return s_ / "chunks" / chunk_name(i); }
  fs::path suite_key() const { return *suite_ / "suite-session.key"; }
  fs::path suite_node_key() const { return *suite_ / "suite-node.key"; }
  fs::path input() const { return *suite_ / "input"; }

  json manifest_json() const { return json::parse(read_text(s_ / "manifest.json")); }
  void write_manifest_json(const json& m) { write_text(s_ / "manifest.json", m.dump()); }

  // Re-signs an edited manifest with the real node key: leaf hashes, root and signature all check out.
  template <typename Edit>
  void resign_manifest(Edit edit) {
    auto m = lucid::seal::parse_manifest(read_text(s_ / "manifest.json"));
    ASSERT_TRUE(m.has_value()) << m.error().message;
    edit(*m);
    std::vector<crypto::Digest> leaves;
    for (const auto& c : m->chunks) leaves.push_back(c.leaf_hash);
    m->merkle_root = crypto::merkle_root(leaves);
    auto node = lucid::seal::load_node_key(suite_node_key());
    ASSERT_TRUE(node.has_value()) << node.error().message;
    ASSERT_TRUE(m->sign(*node).has_value());
    auto text = lucid::seal::serialize_manifest(*m);
    ASSERT_TRUE(text.has_value());
    write_text(s_ / "manifest.json", *text);
  }
  void refresh_leaf_hash(std::uint64_t i) {
    auto bytes = read_bytes(chunk(i));
    resign_manifest(
        [&](lucid::seal::Manifest& m) { m.chunks[i].leaf_hash = crypto::merkle_leaf_hash(bytes); });
  }

  // verify: exit 1, every name on stderr.
  void expect_verify_fails(const std::vector<std::string>& names, bool pin_node = false) {
    std::vector<std::string> args = {"verify", s_.string()};
    if (pin_node)
      args.insert(args.end(), {"--node-pub", suite_node_key().string() + ".pub"});
    else
      args.push_back("--any-signer");  // what is shown here is found whoever signed
    RunResult v = w(args);
    EXPECT_EQ(v.exit_code, 1) << v.out << v.err;
    for (const auto& n : names)
      EXPECT_NE(v.err.find(n), std::string::npos) << "verify does not name " << n << ":\n" << v.err;
    EXPECT_NE(v.err.find("verification failed"), std::string::npos) << v.err;
    args.push_back("--json");
    RunResult j = w(args);
    EXPECT_EQ(j.exit_code, 1);
    json report = json::parse(j.out);
    EXPECT_EQ(report["ok"], false);
    EXPECT_FALSE(report["problems"].empty());
  }

  void expect_verify_passes() {
    RunResult v = w({"verify", s_.string(), "--node-pub", suite_node_key().string() + ".pub"});
    EXPECT_EQ(v.exit_code, 0) << v.err;
  }

  struct Incident {
    std::vector<std::string> names;                           // each must appear on stderr
    std::optional<std::optional<std::uint64_t>> chunk_index;  // outer nullopt: not checked; inner: JSON null
    std::string reason;                                       // empty: any non-empty reason
    std::optional<std::uint64_t> emitted_chunks;              // plaintext chunks allowed on stdout
  };

  void check_incident_line(const fs::path& log, std::size_t expected_lines, const Incident& want) {
    ASSERT_TRUE(fs::exists(log)) << "no incident log at " << log;
    auto lines = split_lines(read_text(log));
    ASSERT_EQ(lines.size(), expected_lines) << read_text(log);
    json j = json::parse(lines.back());
    EXPECT_EQ(j["session_id"], session_id_);
    ASSERT_TRUE(j.contains("chunk_index"));
    if (want.chunk_index && *want.chunk_index) {
      EXPECT_EQ(j["chunk_index"], **want.chunk_index) << j.dump();
    } else if (want.chunk_index) {
      EXPECT_TRUE(j["chunk_index"].is_null()) << j.dump();
    }
    ASSERT_TRUE(j["reason"].is_string());
    if (!want.reason.empty()) {
      EXPECT_EQ(j["reason"], want.reason) << j.dump();
    } else {
      EXPECT_FALSE(j["reason"].get<std::string>().empty());
    }
    ASSERT_TRUE(j["time"].is_string());
    EXPECT_TRUE(is_rfc3339_utc(j["time"])) << j["time"];
    EXPECT_EQ(j["directory"], fs::absolute(s_).string());
  }

  // open: exit 3, no output and no temporary file, the names on stderr, one incident line each in
  // --incident-log and (without it) the default log beside DIR; to stdout, only authentic chunks.
  void expect_open_incident(const Incident& want) {
    const fs::path out = dir_ / "restore" / "out.bin";
    const fs::path log = dir_ / "incidents.jsonl";
    RunResult o = w({"open", s_.string(), "--session-key-file", suite_key().string(), "-o", out.string(),
                     "--incident-log", log.string()});
    EXPECT_EQ(o.exit_code, 3) << o.err;
    EXPECT_FALSE(fs::exists(out)) << "open left its output behind";
    fs::remove(out);  // keep the next runs independent of this one's failure
    EXPECT_TRUE(listing(dir_ / "restore").empty()) << "open left a temporary file behind";
    EXPECT_EQ(split_lines(o.err).size(), 1u) << o.err;
    EXPECT_TRUE(o.err.starts_with("lucid-node-worker: error: ")) << o.err;
    for (const auto& n : want.names)
      EXPECT_NE(o.err.find(n), std::string::npos) << "open does not name " << n << ":\n" << o.err;
    check_incident_line(log, 1, want);

    const fs::path default_log = dir_ / "lucid-incidents.jsonl";
    EXPECT_FALSE(fs::exists(default_log)) << "--incident-log was not honoured";
    RunResult d = w({"open", s_.string(), "--session-key-file", suite_key().string(), "-o", out.string()});
    EXPECT_EQ(d.exit_code, 3) << d.err;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_TRUE(listing(dir_ / "restore").empty());
    check_incident_line(default_log, 1, want);

    RunResult so = w({"open", s_.string(), "--session-key-file", suite_key().string(), "-o", "-",
                      "--incident-log", log.string()},
                     {}, true);
    EXPECT_EQ(so.exit_code, 3) << so.err;
    check_incident_line(log, 2, want);
    if (want.emitted_chunks) {
      std::string expected = file_prefix(input(), *want.emitted_chunks * kChunk);
      EXPECT_EQ(so.out.size(), expected.size()) << "bytes on stdout";
      EXPECT_TRUE(so.out == expected) << "stdout is not exactly the plaintext of the authentic chunks";
    } else {
      EXPECT_LE(so.out.size(), kInputBytes);
      EXPECT_TRUE(so.out == file_prefix(input(), so.out.size())) << "stdout carried unauthenticated bytes";
    }
  }

  fs::path s_ = dir_ / "s";
  static std::unique_ptr<ScratchDir> suite_;
  static std::string session_id_;
};
std::unique_ptr<ScratchDir> Tamper::suite_;
std::string Tamper::session_id_;

TEST_F(Tamper, UntouchedCopyVerifiesAndOpens) {
  ASSERT_EQ(listing(s_ / "chunks").size(), kChunks);
  expect_verify_passes();
  RunResult o = w({"open", s_.string(), "--session-key-file", suite_key().string(), "-o",
                   (dir_ / "restore" / "out.bin").string()});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(files_equal(dir_ / "restore" / "out.bin", input()));
}

TEST_F(Tamper, FlippedByteInFirstChunk) {
  flip_byte(chunk(0), 1000);
  expect_verify_fails({"chunk 0"});
  expect_open_incident({{"chunk 0"}, std::optional<std::uint64_t>{0}, "leaf-hash-mismatch", 0});
}

TEST_F(Tamper, FlippedByteInMiddleChunk) {
  flip_byte(chunk(1), fs::file_size(chunk(1)) / 2);
  expect_verify_fails({"chunk 1"});
  expect_open_incident({{"chunk 1"}, std::optional<std::uint64_t>{1}, "leaf-hash-mismatch", 1});
}

TEST_F(Tamper, FlippedByteInLastChunk) {
  flip_byte(chunk(2), fs::file_size(chunk(2)) - 1);  // in the tag
  expect_verify_fails({"chunk 2"});
  expect_open_incident({{"chunk 2"}, std::optional<std::uint64_t>{2}, "leaf-hash-mismatch", 2});
}

TEST_F(Tamper, TwoChunksSwapped) {
  fs::rename(chunk(0), dir_ / "tmp");
  fs::rename(chunk(1), chunk(0));
  fs::rename(dir_ / "tmp", chunk(1));
  expect_verify_fails({"chunk 0", "chunk 1"});
  expect_open_incident({{"chunk 0"}, std::optional<std::uint64_t>{0}, "leaf-hash-mismatch", 0});
}

TEST_F(Tamper, TwoChunksOfDifferentLengthSwapped) {
  fs::rename(chunk(1), dir_ / "tmp");
  fs::rename(chunk(2), chunk(1));
  fs::rename(dir_ / "tmp", chunk(2));
  expect_verify_fails({"chunk 1", "chunk 2"});
  expect_open_incident({{"chunk 1"}, std::optional<std::uint64_t>{1}, "length-mismatch", 1});
}

TEST_F(Tamper, LastChunkDropped) {
  fs::remove(chunk(2));
  expect_verify_fails({"chunk 2"});
  expect_open_incident({{"chunk 2"}, std::optional<std::uint64_t>{2}, "missing-chunk", 2});
}

TEST_F(Tamper, ChunkDuplicatedOverTheNext) {
  fs::copy_file(chunk(1), chunk(2), fs::copy_options::overwrite_existing);
  expect_verify_fails({"chunk 2"});
  expect_open_incident({{"chunk 2"}, std::optional<std::uint64_t>{2}, "length-mismatch", 2});
}

TEST_F(Tamper, ChunkDuplicatedOverTheNextWithSameLength) {
  fs::copy_file(chunk(0), chunk(1), fs::copy_options::overwrite_existing);
  expect_verify_fails({"chunk 1"});
  expect_open_incident({{"chunk 1"}, std::optional<std::uint64_t>{1}, "leaf-hash-mismatch", 1});
}

// Issue 2 item 3: "a chunk duplicated — verify and open both fail". A copy of chunk 1 added as an
// extra 00000003.sealed is not listed in the manifest; verify reports it, and open must refuse too.
TEST_F(Tamper, ExtraDuplicatedChunkFileFailsVerifyAndOpen) {
  fs::copy_file(chunk(1), s_ / "chunks" / chunk_name(3));
  expect_verify_fails({"00000003.sealed"});
  expect_open_incident({{"00000003"}, std::nullopt, "", std::nullopt});
}

TEST_F(Tamper, ManifestCreatedAtChanged) {
  json m = manifest_json();
  m["created_at"] = "2020-01-01T00:00:00Z";
  write_manifest_json(m);
  expect_verify_fails({"signature"});
  expect_open_incident({{"signature"}, std::optional<std::uint64_t>{}, "manifest-invalid", 0});
}

TEST_F(Tamper, ManifestTotalBytesChanged) {
  json m = manifest_json();
  m["total_bytes"] = kInputBytes + 1;
  write_manifest_json(m);
  expect_verify_fails({"total_bytes", "signature"});
  expect_open_incident({{"total_bytes"}, std::optional<std::uint64_t>{}, "manifest-invalid", 0});
}

TEST_F(Tamper, ManifestMerkleRootChanged) {
  json m = manifest_json();
  std::string root = m["merkle_root"];
  root[0] = root[0] == '0' ? '1' : '0';
  m["merkle_root"] = root;
  write_manifest_json(m);
  expect_verify_fails({"merkle_root", "signature"});
  expect_open_incident({{"merkle_root"}, std::optional<std::uint64_t>{}, "manifest-invalid", 0});
}

TEST_F(Tamper, ManifestLeafHashChanged) {
  json m = manifest_json();
  std::string leaf = m["chunks"][1]["leaf_hash"];
  leaf[10] = leaf[10] == 'a' ? 'b' : 'a';
  m["chunks"][1]["leaf_hash"] = leaf;
  write_manifest_json(m);
  expect_verify_fails({"merkle_root", "chunk 1", "signature"});
  expect_open_incident({{"merkle_root"}, std::optional<std::uint64_t>{}, "manifest-invalid", 0});
}

TEST_F(Tamper, ManifestChunkPlainBytesChanged) {
  json m = manifest_json();
  m["chunks"][0]["plain_bytes"] = kChunk - 1;
  m["total_bytes"] = kInputBytes - 1;
  write_manifest_json(m);
  expect_verify_fails({"chunk 0", "signature"});
  expect_open_incident({{"chunk 0"}, std::nullopt, "manifest-invalid", 0});
}

TEST_F(Tamper, SignatureChanged) {
  json m = manifest_json();
  std::string sig = m["signatures"][0]["signature"];
  sig[5] = sig[5] == 'f' ? 'e' : 'f';
  m["signatures"][0]["signature"] = sig;
  write_manifest_json(m);
  expect_verify_fails({"signature"});
  expect_open_incident({{"signature"}, std::optional<std::uint64_t>{}, "manifest-invalid", 0});
}

TEST_F(Tamper, SignatureRemoved) {
  json m = manifest_json();
  m["signatures"] = json::array();
  write_manifest_json(m);
  expect_verify_fails({"signature"});
  expect_open_incident({{"signature"}, std::optional<std::uint64_t>{}, "manifest-invalid", 0});
}

// Someone re-makes the whole manifest under their own key: only a pinned node key catches it.
TEST_F(Tamper, ForgedManifestIsCaughtWhenTheNodeKeyIsPinned) {
  auto forger = crypto::Ed25519KeyPair::generate();
  json m = manifest_json();
  auto parsed = lucid::seal::parse_manifest(m.dump());
  ASSERT_TRUE(parsed.has_value());
  parsed->participants[0].public_key = forger.public_key();
  parsed->signatures.clear();
  ASSERT_TRUE(parsed->sign(forger).has_value());
  write_text(s_ / "manifest.json", lucid::seal::serialize_manifest(*parsed).value());
  expect_verify_fails({"participants"}, true);
  const fs::path out = dir_ / "restore" / "out.bin";
  RunResult o =
      w({"open", s_.string(), "--session-key-file", suite_key().string(), "-o", out.string(), "--node-pub",
         suite_node_key().string() + ".pub", "--incident-log", (dir_ / "incidents.jsonl").string()});
  EXPECT_EQ(o.exit_code, 3) << o.err;
  EXPECT_NE(o.err.find("participants"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(out));
  check_incident_line(dir_ / "incidents.jsonl", 1,
                      {{}, std::optional<std::uint64_t>{}, "manifest-invalid", 0});
}

// The AEAD path: a tampered chunk whose leaf hash and signature were redone with the node key. verify
// (which has no session key) passes; open catches it by the AEAD tag and emits only earlier chunks.
class TamperAead : public Tamper, public ::testing::WithParamInterface<std::uint64_t> {};

TEST_P(TamperAead, ResignedTamperedChunkFailsAeadAndEmitsOnlyEarlierChunks) {
  const std::uint64_t k = GetParam();
  flip_byte(chunk(k), fs::file_size(chunk(k)) / 3);
  refresh_leaf_hash(k);
  expect_verify_passes();
  const std::string name = "chunk " + std::to_string(k);
  expect_open_incident({{name}, std::optional<std::uint64_t>{k}, "aead-failure", k});
}

INSTANTIATE_TEST_SUITE_P(EachChunk, TamperAead, ::testing::Values(0, 1, 2));

// Truncation with a re-signed manifest: chunk 1 was sealed as "not last", so presenting it as the
// last chunk fails its AEAD (the last flag is authenticated).
TEST_F(Tamper, ResignedTruncationFailsAeadAtTheNewLastChunk) {
  fs::remove(chunk(2));
  resign_manifest([](lucid::seal::Manifest& m) {
    m.chunks.pop_back();
    m.chunk_count = 2;
    m.total_bytes = 2 * kChunk;
  });
  expect_verify_passes();
  expect_open_incident({{"chunk 1"}, std::optional<std::uint64_t>{1}, "aead-failure", 1});
}

// Reordering with a re-signed manifest: the chunk index is bound into key, nonce and AD.
TEST_F(Tamper, ResignedReorderFailsAeadAtTheFirstMovedChunk) {
  fs::rename(chunk(0), dir_ / "tmp");
  fs::rename(chunk(1), chunk(0));
  fs::rename(dir_ / "tmp", chunk(1));
  resign_manifest([](lucid::seal::Manifest& m) { std::swap(m.chunks[0].leaf_hash, m.chunks[1].leaf_hash); });
  expect_verify_passes();
  expect_open_incident({{"chunk 0"}, std::optional<std::uint64_t>{0}, "aead-failure", 0});
}

TEST_F(Tamper, WrongSessionKeyIsAnAeadIncidentAtChunkZero) {
  const std::string other(64, '7');
  write_text(dir_ / "other.key", other + "\n");
  fs::permissions(dir_ / "other.key", fs::perms::owner_read | fs::perms::owner_write);
  const fs::path out = dir_ / "restore" / "out.bin";
  RunResult o = w({"open", s_.string(), "--session-key-file", (dir_ / "other.key").string(), "-o",
                   out.string(), "--incident-log", (dir_ / "incidents.jsonl").string()});
  EXPECT_EQ(o.exit_code, 3) << o.err;
  EXPECT_NE(o.err.find("chunk 0"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(listing(dir_ / "restore").empty());
  check_incident_line(dir_ / "incidents.jsonl", 1, {{}, std::optional<std::uint64_t>{0}, "aead-failure", 0});
}

TEST_F(Tamper, VerifyJsonNamesTheTamperedChunk) {
  flip_byte(chunk(1), 5);
  RunResult v = w({"verify", s_.string(), "--json", "--node-pub", suite_node_key().string() + ".pub"});
  EXPECT_EQ(v.exit_code, 1);
  json j = json::parse(v.out);
  EXPECT_EQ(j["ok"], false);
  ASSERT_EQ(j["problems"].size(), 1u) << j.dump();
  EXPECT_EQ(j["problems"][0]["chunk_index"], 1);
  EXPECT_EQ(j["problems"][0]["subject"], "chunk 1");
  EXPECT_EQ(j["session_id"], session_id_);
}

// ---- proofs ----

TEST_F(Tamper, ProofOfEveryChunkVerifiesByFileAndByLeafHash) {
  json m = manifest_json();
  const std::string root = m["merkle_root"];
  std::string wrong_root = root;
  wrong_root[63] = wrong_root[63] == '0' ? '1' : '0';
  for (std::uint64_t i = 0; i < kChunks; ++i) {
    SCOPED_TRACE("chunk " + std::to_string(i));
    RunResult p = w({"proof", s_.string(), std::to_string(i)});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    json proof = json::parse(p.out);
    EXPECT_EQ(proof["index"], i);
    EXPECT_EQ(proof["tree_size"], kChunks);
    EXPECT_EQ(proof["root"], root);
    EXPECT_EQ(proof["leaf_hash"], m["chunks"][i]["leaf_hash"]);
    const fs::path pf = dir_ / ("proof-" + std::to_string(i) + ".json");
    write_text(pf, p.out);
    const std::string leaf_hex = m["chunks"][i]["leaf_hash"];
    RunResult by_file = w({"verify-proof", "--root", root, "--leaf", chunk(i).string(), pf.string()});
    EXPECT_EQ(by_file.exit_code, 0) << by_file.err;
    EXPECT_TRUE(by_file.out.starts_with("OK")) << by_file.out;
    RunResult by_hash = w({"verify-proof", "--root", root, "--leaf", leaf_hex, pf.string()});
    EXPECT_EQ(by_hash.exit_code, 0) << by_hash.err;
    RunResult by_stdin = w({"verify-proof", "--root", root, "--leaf", leaf_hex, "-"}, pf);
    EXPECT_EQ(by_stdin.exit_code, 0) << by_stdin.err;
    RunResult bad_root = w({"verify-proof", "--root", wrong_root, "--leaf", leaf_hex, pf.string()});
    EXPECT_EQ(bad_root.exit_code, 1) << bad_root.err;
    const std::uint64_t other = (i + 1) % kChunks;
    RunResult other_file = w({"verify-proof", "--root", root, "--leaf", chunk(other).string(), pf.string()});
    EXPECT_EQ(other_file.exit_code, 1) << other_file.err;
    RunResult other_hash = w({"verify-proof", "--root", root, "--leaf",
                              m["chunks"][other]["leaf_hash"].get<std::string>(), pf.string()});
    EXPECT_EQ(other_hash.exit_code, 1) << other_hash.err;
    // The bare audit path (without the restated leaf and root) decides on its own.
    json bare = proof;
    bare.erase("leaf_hash");
    bare.erase("root");
    write_text(pf, bare.dump());
    EXPECT_EQ(w({"verify-proof", "--root", root, "--leaf", leaf_hex, pf.string()}).exit_code, 0);
    EXPECT_EQ(w({"verify-proof", "--root", wrong_root, "--leaf", leaf_hex, pf.string()}).exit_code, 1);
    EXPECT_EQ(w({"verify-proof", "--root", root, "--leaf", chunk(other).string(), pf.string()}).exit_code, 1);
  }
}

TEST_F(Tamper, MalformedProofsAndArgumentsExit2) {
  json m = manifest_json();
  const std::string root = m["merkle_root"];
  const std::string leaf = m["chunks"][0]["leaf_hash"];
  RunResult p = w({"proof", s_.string(), "0"});
  ASSERT_EQ(p.exit_code, 0);
  json proof = json::parse(p.out);

  write_text(dir_ / "junk.json", "this is not a proof");
  expect_one_error_line(w({"verify-proof", "--root", root, "--leaf", leaf, (dir_ / "junk.json").string()}), 2,
                        "proof");
  json bad = proof;
  bad["path"][0] = "zz";
  write_text(dir_ / "bad.json", bad.dump());
  expect_one_error_line(w({"verify-proof", "--root", root, "--leaf", leaf, (dir_ / "bad.json").string()}), 2,
                        "path[0]");
  bad = proof;
  bad.erase("index");
  write_text(dir_ / "noindex.json", bad.dump());
  expect_one_error_line(w({"verify-proof", "--root", root, "--leaf", leaf, (dir_ / "noindex.json").string()}),
                        2, "index");
  write_text(dir_ / "good.json", proof.dump());
  expect_one_error_line(
      w({"verify-proof", "--root", root.substr(2), "--leaf", leaf, (dir_ / "good.json").string()}), 2,
      "--root");
  expect_one_error_line(
      w({"verify-proof", "--root", root, "--leaf", (dir_ / "nope").string(), (dir_ / "good.json").string()}),
      2, "--leaf");
  expect_one_error_line(w({"verify-proof", "--root", root, "--leaf", leaf, (dir_ / "missing.json").string()}),
                        2, "missing.json");
  expect_one_error_line(w({"proof", s_.string(), "3"}), 2, "chunk 3");
}

// ---- item 6: bad input ----

class BadInput : public WorkerTest {
 protected:
  void SetUp() override {
    WorkerTest::SetUp();
    write_text(dir_ / "in", "a small recording");
    before_ = listing(dir_.path());
  }
  // The scratch directory holds exactly what it held before (plus `added`): no output, no staging
  // or temporary sibling, no session key file.
  void expect_unchanged(const std::set<std::string>& added = {}) {
    std::set<std::string> want = before_;
    want.insert(added.begin(), added.end());
    EXPECT_EQ(listing(dir_.path()), want);
  }
  // A sealed session to open, with its key.
  void make_session() {
    RunResult r = seal(dir_ / "in", dir_ / "sess", dir_ / "sess.key");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    before_ = listing(dir_.path());
  }
  void write_key(const std::string& name, const std::string& text, fs::perms perms) {
    write_text(dir_ / name, text);
    fs::permissions(dir_ / name, perms);
    before_ = listing(dir_.path());
  }
  std::set<std::string> before_;
};

constexpr fs::perms kOwnerRw = fs::perms::owner_read | fs::perms::owner_write;

TEST_F(BadInput, SealNonexistentInput) {
  RunResult r = seal(dir_ / "no-such-file", dir_ / "out", dir_ / "fresh.key");
  expect_one_error_line(r, 2, "no-such-file");
  expect_unchanged();
}

// Tests run as root, so a mode-000 file is still readable; a directory is an input that cannot be
// read. This failure comes after the fresh session key was created, which must be removed again.
TEST_F(BadInput, SealUnreadableInputLeavesNoKeyOrStagingBehind) {
  fs::create_directory(dir_ / "adir");
  before_ = listing(dir_.path());
  RunResult r = seal(dir_ / "adir", dir_ / "out", dir_ / "fresh.key");
  expect_one_error_line(r, 2);
  expect_unchanged();
}

// The output's parent does not exist: seal fails after creating the fresh session key, and removes it.
TEST_F(BadInput, SealIntoMissingParentLeavesNoKeyBehind) {
  RunResult r = seal(dir_ / "in", dir_ / "no-parent" / "out", dir_ / "fresh.key");
  expect_one_error_line(r, 2, "no-parent");
  expect_unchanged();
}

TEST_F(BadInput, SealMissingNodeKey) {
  RunResult r = w({"seal", (dir_ / "in").string(), "--out", (dir_ / "out").string(), "--node-key",
                   (dir_ / "nope.key").string(), "--session-key-file", (dir_ / "fresh.key").string()});
  expect_one_error_line(r, 2, "nope.key");
  expect_unchanged();
}

TEST_F(BadInput, OpenMissingSessionKeyFile) {
  make_session();
  RunResult r = w({"open", (dir_ / "sess").string(), "--session-key-file", (dir_ / "missing.key").string(),
                   "-o", (dir_ / "out").string()});
  expect_one_error_line(r, 2, "missing.key");
  expect_unchanged();
}

TEST_F(BadInput, WrongSizeSessionKey) {
  make_session();
  for (const auto& [name, text] :
       std::vector<std::pair<std::string, std::string>>{{"key62", std::string(62, 'a') + "\n"},
                                                        {"key66", std::string(66, 'a') + "\n"},
                                                        {"keynonhex", std::string(63, 'a') + "z\n"},
                                                        {"keyempty", ""}}) {
    SCOPED_TRACE(name);
    write_key(name, text, kOwnerRw);
    RunResult o = w({"open", (dir_ / "sess").string(), "--session-key-file", (dir_ / name).string(), "-o",
                     (dir_ / "out").string()});
    expect_one_error_line(o, 2, name);
    RunResult s = seal(dir_ / "in", dir_ / "out", dir_ / name);
    expect_one_error_line(s, 2, name);
    EXPECT_EQ(read_text(dir_ / name), text) << "the key file was changed";
    expect_unchanged();
    // The malformed key is not echoed.
    if (text.size() > 16) {
      EXPECT_EQ(o.err.find(text.substr(0, 16)), std::string::npos) << o.err;
      EXPECT_EQ(s.err.find(text.substr(0, 16)), std::string::npos) << s.err;
    }
  }
}

TEST_F(BadInput, SessionKeyReadableByOthersIsRefused) {
  make_session();
  std::string text = read_text(dir_ / "sess.key");
  write_key("open.key", text, kOwnerRw | fs::perms::group_read | fs::perms::others_read);  // 0644
  ASSERT_EQ(mode_of(dir_ / "open.key"), 0644u);
  RunResult o = w({"open", (dir_ / "sess").string(), "--session-key-file", (dir_ / "open.key").string(), "-o",
                   (dir_ / "out").string()});
  expect_one_error_line(o, 2, "0644");
  RunResult s = seal(dir_ / "in", dir_ / "out", dir_ / "open.key");
  expect_one_error_line(s, 2, "open.key");
  expect_unchanged();
}

TEST_F(BadInput, NodeKeyReadableByOthersIsRefused) {
  fs::permissions(node_key_, fs::perms::group_read, fs::perm_options::add);
  RunResult s = seal(dir_ / "in", dir_ / "out", dir_ / "fresh.key");
  expect_one_error_line(s, 2, "node.key");
  expect_unchanged();
}

TEST_F(BadInput, CorruptManifestJsonOpenAndProof) {
  make_session();
  write_text(dir_ / "sess" / "manifest.json", "{\"format\": \"lucid.session-manifest\", ");
  RunResult o = w({"open", (dir_ / "sess").string(), "--session-key-file", (dir_ / "sess.key").string(), "-o",
                   (dir_ / "out").string()});
  EXPECT_NE(o.exit_code, 0);
  expect_one_error_line(o, 2, "manifest.json");
  RunResult p = w({"proof", (dir_ / "sess").string(), "0"});
  expect_one_error_line(p, 2, "manifest.json");
  expect_unchanged();
}

// Issue 2 item 6: corrupt manifest JSON gets one clear error line. verify currently prints a "FAIL
// manifest: …" line and a "verification failed" summary instead of one "error:" line.
TEST_F(BadInput, CorruptManifestJsonVerifyGivesOneErrorLine) {
  make_session();
  write_text(dir_ / "sess" / "manifest.json", "{\"format\": \"lucid.session-manifest\", ");
  RunResult v = w({"verify", (dir_ / "sess").string(), "--node-pub", node_key_.string() + ".pub"});
  EXPECT_NE(v.exit_code, 0);
  EXPECT_NE(v.err.find("manifest.json"), std::string::npos) << v.err;
  expect_one_error_line(v, v.exit_code, "manifest.json");
  expect_unchanged();
}

TEST_F(BadInput, VerifyOfMissingDirectory) {
  expect_one_error_line(w({"verify", (dir_ / "nope").string(), "--node-pub", node_key_.string() + ".pub"}), 2,
                        "nope");
  fs::create_directory(dir_ / "empty");
  before_ = listing(dir_.path());
  RunResult v = w({"verify", (dir_ / "empty").string(), "--node-pub", node_key_.string() + ".pub"});
  expect_one_error_line(v, 2, "manifest.json");
  expect_unchanged();
}

TEST_F(BadInput, ChunkSizeOutsideBounds) {
  for (const std::string size : {"4MiB", "17MiB", "8388607", "16777217", "0", "7M", "1KiB"}) {
    SCOPED_TRACE(size);
    RunResult r = seal(dir_ / "in", dir_ / "out", dir_ / "fresh.key", {"--chunk-size", size});
    expect_one_error_line(r, 2, "chunk size");
    expect_unchanged();
  }
  for (const std::string size : {"abc", "8GiB", "8 MiB", "-8MiB", "99999999999999999999"}) {
    SCOPED_TRACE(size);
    RunResult r = seal(dir_ / "in", dir_ / "out", dir_ / "fresh.key", {"--chunk-size", size});
    expect_one_error_line(r, 2);
    expect_unchanged();
  }
}

// parse_size multiplies without an overflow check: 17592186044424 MiB = 2^64 + 8 MiB wraps to exactly
// 8 MiB and is accepted. A chunk size far outside 8–16 MiB must be refused like any other.
TEST_F(BadInput, ChunkSizeThatOverflowsIsRefused) {
  for (const std::string size : {"17592186044424MiB", "17592186044424M", "18014398509490176KiB"}) {
    SCOPED_TRACE(size);
    RunResult r = seal(dir_ / "in", dir_ / "out", dir_ / "fresh.key", {"--chunk-size", size});
    expect_one_error_line(r, 2);
    expect_unchanged();
    fs::remove_all(dir_ / "out");
    fs::remove(dir_ / "fresh.key");
  }
}

TEST_F(BadInput, ExistingNonEmptyOutDir) {
  fs::create_directory(dir_ / "out");
  write_text(dir_ / "out" / "keep.txt", "precious");
  before_ = listing(dir_.path());
  RunResult r = seal(dir_ / "in", dir_ / "out", dir_ / "fresh.key");
  expect_one_error_line(r, 2, "out");
  expect_unchanged();
  EXPECT_EQ(listing(dir_ / "out"), std::set<std::string>{"keep.txt"});
  EXPECT_EQ(read_text(dir_ / "out" / "keep.txt"), "precious");
  // A file in the way is refused as well.
  RunResult f = seal(dir_ / "in", dir_ / "in", dir_ / "fresh.key");
  expect_one_error_line(f, 2);
  EXPECT_EQ(read_text(dir_ / "in"), "a small recording");
  expect_unchanged();
}

TEST_F(BadInput, ExistingEmptyOutDirIsUsed) {
  fs::create_directory(dir_ / "out");
  RunResult r = seal(dir_ / "in", dir_ / "out", dir_ / "fresh.key");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "manifest.json"));
}

TEST_F(BadInput, OpenRefusesAnExistingOutput) {
  make_session();
  write_text(dir_ / "existing", "keep me");
  before_ = listing(dir_.path());
  RunResult o = w({"open", (dir_ / "sess").string(), "--session-key-file", (dir_ / "sess.key").string(), "-o",
                   (dir_ / "existing").string()});
  expect_one_error_line(o, 2, "existing");
  EXPECT_EQ(read_text(dir_ / "existing"), "keep me");
  expect_unchanged();
}

TEST_F(BadInput, UsageErrorsExit2) {
  RunResult none = w({});
  EXPECT_EQ(none.exit_code, 2);
  RunResult missing_out =
      w({"seal", (dir_ / "in").string(), "--node-key", node_key_.string(), "--session-key-file", "k"});
  EXPECT_EQ(missing_out.exit_code, 2);
  EXPECT_FALSE(missing_out.err.empty());
  RunResult unknown = w({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  expect_unchanged();
  RunResult help = w({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("EXIT STATUS"), std::string::npos);
}

// ---- keygen and key hygiene ----

TEST_F(WorkerTest, KeygenModesPublicHalfAndNoOverwrite) {
  EXPECT_EQ(mode_of(node_key_), 0600u);
  EXPECT_EQ(mode_of(node_key_.string() + ".pub"), 0644u);
  auto pub = key_hex_of(node_key_.string() + ".pub");
  ASSERT_TRUE(pub.has_value());
  auto kp = lucid::seal::load_node_key(node_key_);
  ASSERT_TRUE(kp.has_value());
  EXPECT_EQ(*pub, to_hex(kp->public_key()));

  RunResult k = w({"keygen", "--out", (dir_ / "second.key").string()});
  ASSERT_EQ(k.exit_code, 0) << k.err;
  EXPECT_NE(k.out.find(*key_hex_of(dir_ / "second.key.pub")), std::string::npos) << k.out;

  const std::string before = read_text(node_key_);
  const std::string before_pub = read_text(node_key_.string() + ".pub");
  RunResult again = w({"keygen", "--out", node_key_.string()});
  expect_one_error_line(again, 2, "already exists");
  EXPECT_EQ(read_text(node_key_), before);
  EXPECT_EQ(read_text(node_key_.string() + ".pub"), before_pub);
  // A stray .pub alone also blocks keygen (it would be overwritten).
  write_text(dir_ / "third.key.pub", "not mine");
  RunResult third = w({"keygen", "--out", (dir_ / "third.key").string()});
  expect_one_error_line(third, 2, "already exists");
  EXPECT_FALSE(fs::exists(dir_ / "third.key"));
  EXPECT_EQ(read_text(dir_ / "third.key.pub"), "not mine");
}

// Every command, successful or not, is captured; TearDown requires that neither the node seed nor
// any session key appears anywhere in the output.
TEST_F(WorkerTest, KeysNeverAppearInAnyOutput) {
  write_random_file(dir_ / "in", kChunk + 99, 30);
  ASSERT_EQ(seal(dir_ / "in", dir_ / "s", dir_ / "s.key").exit_code, 0);
  ASSERT_EQ(seal(dir_ / "in", dir_ / "s2", dir_ / "s.key", {"--json", "--progress"}).exit_code, 0);
  const std::string pub = node_key_.string() + ".pub";
  EXPECT_EQ(w({"verify", (dir_ / "s").string(), "--node-pub", pub}).exit_code, 0);
  EXPECT_EQ(w({"verify", (dir_ / "s").string(), "--json", "--node-pub", pub}).exit_code, 0);
  EXPECT_EQ(w({"open", (dir_ / "s").string(), "--session-key-file", (dir_ / "s.key").string(), "-o",
               (dir_ / "out").string()})
                .exit_code,
            0);
  EXPECT_EQ(
      w({"open", (dir_ / "s").string(), "--session-key-file", (dir_ / "s.key").string(), "-o", "-"}, {}, true)
          .exit_code,
      0);
  EXPECT_EQ(w({"proof", (dir_ / "s").string(), "1"}).exit_code, 0);
  // Failures that handle the keys: wrong permissions, the wrong key, a tampered chunk.
  fs::permissions(dir_ / "s.key", fs::perms::others_read, fs::perm_options::add);
  EXPECT_EQ(w({"open", (dir_ / "s").string(), "--session-key-file", (dir_ / "s.key").string(), "-o",
               (dir_ / "out2").string()})
                .exit_code,
            2);
  EXPECT_EQ(seal(dir_ / "in", dir_ / "s3", dir_ / "s.key").exit_code, 2);
  fs::permissions(dir_ / "s.key", fs::perms::others_read, fs::perm_options::remove);
  ASSERT_EQ(seal(dir_ / "in", dir_ / "s4", dir_ / "s4.key").exit_code, 0);
  EXPECT_EQ(w({"open", (dir_ / "s").string(), "--session-key-file", (dir_ / "s4.key").string(), "-o",
               (dir_ / "out3").string()})
                .exit_code,
            3);
  flip_byte(dir_ / "s" / "chunks" / chunk_name(1), 3);
  EXPECT_EQ(w({"verify", (dir_ / "s").string(), "--node-pub", pub}).exit_code, 1);
  EXPECT_EQ(w({"open", (dir_ / "s").string(), "--session-key-file", (dir_ / "s.key").string(), "-o",
               (dir_ / "out4").string()})
                .exit_code,
            3);
  // The incident log holds no key material either.
  std::string incidents = read_text(dir_ / "lucid-incidents.jsonl");
  EXPECT_EQ(split_lines(incidents).size(), 2u);
  captured_.push_back(incidents);
  // The key files themselves are where the secrets are (so TearDown checks real values).
  ASSERT_TRUE(key_hex_of(dir_ / "s.key").has_value());
  ASSERT_TRUE(key_hex_of(node_key_).has_value());
  EXPECT_EQ(mode_of(dir_ / "s.key"), 0600u);
}

// ---- --json ----

TEST_F(WorkerTest, SealAndVerifyJson) {
  write_random_file(dir_ / "in", kChunk + 1000, 31);
  RunResult s = seal(dir_ / "in", dir_ / "s", dir_ / "s.key", {"--json"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  ASSERT_EQ(split_lines(s.out).size(), 1u) << s.out;
  json j = json::parse(s.out);
  for (const char* f : {"directory", "session_id", "merkle_root", "manifest_hash", "chunk_count",
                        "total_bytes", "sealed_bytes", "sealed_to_plain_ratio"})
    EXPECT_TRUE(j.contains(f)) << f << " missing from " << s.out;
  auto m = lucid::seal::parse_manifest(read_text(dir_ / "s" / "manifest.json"));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(j["directory"], (dir_ / "s").string());
  EXPECT_EQ(j["session_id"], m->session_id);
  EXPECT_EQ(j["merkle_root"], to_hex(m->merkle_root));
  EXPECT_EQ(j["manifest_hash"], to_hex(m->hash().value()));
  EXPECT_EQ(j["chunk_count"], 2);
  EXPECT_EQ(j["total_bytes"], kChunk + 1000);
  std::uint64_t sealed = 0;
  for (const auto& c : m->chunks) sealed += c.sealed_bytes;
  EXPECT_EQ(j["sealed_bytes"], sealed);
  EXPECT_TRUE(j["sealed_to_plain_ratio"].is_number());

  RunResult v = w({"verify", (dir_ / "s").string(), "--json", "--node-pub", node_key_.string() + ".pub"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  json r = json::parse(v.out);
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["signer_pinned"], true);
  EXPECT_TRUE(r["problems"].is_array());
  EXPECT_TRUE(r["problems"].empty());
  EXPECT_EQ(r["session_id"], j["session_id"]);
  EXPECT_EQ(r["merkle_root"], j["merkle_root"]);
  EXPECT_EQ(r["manifest_hash"], j["manifest_hash"]);
  EXPECT_EQ(r["chunk_count"], 2);
  EXPECT_EQ(r["bytes_hashed"], sealed);
  EXPECT_EQ(r["directory"], (dir_ / "s").string());

  // The human forms carry the same root and hash.
  RunResult plain = seal(dir_ / "in", dir_ / "s2", dir_ / "s.key");
  ASSERT_EQ(plain.exit_code, 0);
  auto m2 = lucid::seal::parse_manifest(read_text(dir_ / "s2" / "manifest.json")).value();
  EXPECT_NE(plain.out.find(to_hex(m2.merkle_root)), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find(to_hex(m2.hash().value())), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find("chunks        2"), std::string::npos) << plain.out;
}

}  // namespace
}  // namespace lucid::e2e
