// seal_stream → verify_session → open_session at library level, with small inputs from files and
// pipes (8 MiB chunks, the minimum), 1 and 2 threads, fsync off; plus key files, incidents and proofs.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/hex.h"
#include "lucid/base/random.h"
#include "lucid/crypto/merkle.h"
#include "lucid/seal/chunk_store.h"
#include "lucid/seal/format.h"
#include "lucid/seal/incident.h"
#include "lucid/seal/keys.h"
#include "lucid/seal/manifest_check.h"
#include "lucid/seal/open_session.h"
#include "lucid/seal/proof.h"
#include "lucid/seal/seal_session.h"
#include "lucid/seal/verify_session.h"
#include "testing/testing.h"

namespace lucid::seal {
namespace {
namespace fs = std::filesystem;
using lucid::testing::read_bytes;
using lucid::testing::ScratchDir;
using lucid::testing::write_bytes;
using nlohmann::json;

std::vector<std::uint8_t> pattern_data(std::size_t n, std::uint64_t seed) {
  std::vector<std::uint8_t> out(n);
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (std::size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<std::uint8_t>(x >> 24);
  }
  return out;
}

std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream f(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line);) lines.push_back(line);
  return lines;
}

class SealSession : public ::testing::Test {
 protected:
  void SetUp() override { random_bytes(key_.span()); }

  SealOptions options(unsigned threads) const {
    SealOptions o;
    o.threads = threads;
    o.fsync = false;
    o.codec = "video/mp2t";
    return o;
  }

  Result<SealSummary> seal_file(const fs::path& input, const fs::path& out, const SealOptions& o) {
    int fd = ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    auto r = seal_stream(fd, out, node_, key_, o);
    ::close(fd);
    return r;
  }

  // Checks the session directory against the summary and the input, then verifies and opens it.
  void check_session(const fs::path& dir, const SealSummary& s, const std::vector<std::uint8_t>& input,
                     std::uint64_t chunk_size, unsigned threads) {
    const Manifest& m = s.manifest;
    std::uint64_t expected_chunks = std::max<std::uint64_t>(1, (input.size() + chunk_size - 1) / chunk_size);
    EXPECT_EQ(m.chunk_count, expected_chunks);
    ASSERT_EQ(m.chunks.size(), expected_chunks);
    EXPECT_EQ(m.chunk_size, chunk_size);
    EXPECT_EQ(m.total_bytes, input.size());
    EXPECT_EQ(m.codec, "video/mp2t");
    EXPECT_EQ(m.compression_level, kDefaultZstdLevel);
    EXPECT_EQ(m.node_public_key(), node_.public_key());
    SessionId id{};
    EXPECT_TRUE(parse_uuid(m.session_id, id)) << m.session_id;
    std::uint64_t sealed_total = 0;
    std::vector<crypto::Digest> leaves;
    for (std::size_t i = 0; i < m.chunks.size(); ++i) {
      const auto& c = m.chunks[i];
      EXPECT_EQ(c.index, i);
      bool last = i + 1 == m.chunks.size();
      if (!last) {
        EXPECT_EQ(c.plain_bytes, chunk_size) << "chunk " << i;
      }
      EXPECT_LE(c.plain_bytes, chunk_size) << "chunk " << i;
      auto bytes = read_bytes(dir / chunk_relative_path(i));
      EXPECT_EQ(bytes.size(), c.sealed_bytes) << "chunk " << i;
      EXPECT_EQ(crypto::merkle_leaf_hash(bytes), c.leaf_hash) << "chunk " << i;
      sealed_total += bytes.size();
      leaves.push_back(c.leaf_hash);
    }
    EXPECT_EQ(crypto::merkle_root(leaves), m.merkle_root);
    EXPECT_EQ(s.sealed_bytes, sealed_total);
    EXPECT_EQ(s.manifest_hash, m.hash().value());
    EXPECT_TRUE(check_manifest(m, node_.public_key()).empty());
    // manifest.json on disk is exactly the serialised manifest.
    auto on_disk = read_bytes(dir / kManifestFileName);
    auto text = serialize_manifest(m).value();
    EXPECT_EQ(std::string(on_disk.begin(), on_disk.end()), text);
    // Nothing but manifest.json and the listed chunks.
    EXPECT_EQ(listing(dir), (std::set<std::string>{"chunks", "manifest.json"}));
    EXPECT_TRUE(unexpected_chunk_files(dir, m.chunks.size()).empty());

    auto report = verify_session(dir, node_.public_key(), threads);
    ASSERT_TRUE(report.has_value()) << report.error().message;
    EXPECT_TRUE(report->ok());
    for (const auto& p : report->problems) ADD_FAILURE() << p.subject << ": " << p.message;
    EXPECT_EQ(report->bytes_hashed, sealed_total);
    EXPECT_EQ(report->manifest_hash, s.manifest_hash);

    fs::path restored = scratch_ / ("restored-" + std::to_string(restore_count_++));
    OpenOptions oo;
    oo.threads = threads;
    oo.expected_node_key = node_.public_key();
    oo.incident_log = scratch_ / "incidents.jsonl";
    auto opened = open_session(dir, key_, restored, oo);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    EXPECT_EQ(opened->bytes_written, input.size());
    EXPECT_TRUE(read_bytes(restored) == input) << "restored bytes differ from the input";
    EXPECT_FALSE(fs::exists(scratch_ / "incidents.jsonl"));
  }

  ScratchDir scratch_;
  crypto::Ed25519KeyPair node_ = crypto::Ed25519KeyPair::generate();
  SessionKey key_;
  int restore_count_ = 0;
};

struct RoundTripCase {
  std::size_t size;
  unsigned threads;
};

class SealRoundTrip : public SealSession, public ::testing::WithParamInterface<RoundTripCase> {};

TEST_P(SealRoundTrip, FileInputSealsVerifiesAndOpensByteIdentical) {
  const auto [size, threads] = GetParam();
  auto input = pattern_data(size, size + threads);
  write_bytes(scratch_ / "input", input);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  SealOptions o = options(threads);
  o.progress = [&](std::uint64_t chunks, std::uint64_t bytes) { progress.emplace_back(chunks, bytes); };
  auto s = seal_file(scratch_ / "input", scratch_ / "session", o);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  check_session(scratch_ / "session", *s, input, kDefaultChunkSize, threads);
  ASSERT_EQ(progress.size(), s->manifest.chunk_count);
  EXPECT_EQ(progress.back(), std::make_pair(s->manifest.chunk_count, std::uint64_t{size}));
  // No staging leftovers beside the session.
  for (const auto& name : listing(scratch_.path()))
    EXPECT_FALSE(name.starts_with(".")) << "left behind: " << name;
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, SealRoundTrip,
    ::testing::Values(RoundTripCase{0, 1}, RoundTripCase{0, 2}, RoundTripCase{1, 1}, RoundTripCase{1, 2},
                      RoundTripCase{kMinChunkSize, 1}, RoundTripCase{kMinChunkSize, 2},
                      RoundTripCase{kMinChunkSize + 1, 1}, RoundTripCase{kMinChunkSize + 1, 2},
                      RoundTripCase{2 * kMinChunkSize + 4321, 2}, RoundTripCase{3 * kMinChunkSize, 2}),
    [](const ::testing::TestParamInfo<RoundTripCase>& param_info) {
      return "bytes" + std::to_string(param_info.param.size) + "_threads" +
             std::to_string(param_info.param.threads);
    });

TEST_F(SealSession, PipeInputWithShortWritesRoundTrips) {
  auto input = pattern_data(kMinChunkSize + 777, 5);
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  std::thread writer([&] {
    std::size_t done = 0;
    std::size_t step = 1;
    while (done < input.size()) {
      std::size_t n = std::min(step, input.size() - done);
      ssize_t w = ::write(fds[1], input.data() + done, n);
      if (w <= 0) break;
      done += static_cast<std::size_t>(w);
      step = step * 3 % 100003 + 1;  // irregular piece sizes, from 1 byte upwards
    }
    ::close(fds[1]);
  });
  auto s = seal_stream(fds[0], scratch_ / "session", node_, key_, options(2));
  writer.join();
  ::close(fds[0]);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  check_session(scratch_ / "session", *s, input, kDefaultChunkSize, 2);
}

TEST_F(SealSession, OtherChunkSizesWithinBounds) {
  auto input = pattern_data(2 * 12 * kMiB + 99, 12);
  write_bytes(scratch_ / "input", input);
  for (std::uint64_t cs : {12 * kMiB, kMaxChunkSize}) {
    SealOptions o = options(2);
    o.chunk_size = cs;
    fs::path out = scratch_ / ("session-" + std::to_string(cs));
    auto s = seal_file(scratch_ / "input", out, o);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    check_session(out, *s, input, cs, 2);
  }
}

TEST_F(SealSession, InvalidOptionsAreRefusedBeforeAnythingIsCreated) {
  write_bytes(scratch_ / "input", pattern_data(100, 1));
  for (std::uint64_t cs : {std::uint64_t{0}, 4 * kMiB, kMinChunkSize - 1, kMaxChunkSize + 1, 17 * kMiB}) {
    SealOptions o = options(1);
    o.chunk_size = cs;
    EXPECT_FALSE(validate_seal_options(o).has_value()) << cs;
    auto s = seal_file(scratch_ / "input", scratch_ / "session", o);
    ASSERT_FALSE(s.has_value()) << cs;
    EXPECT_EQ(s.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(s.error().message.find("chunk size"), std::string::npos) << s.error().message;
  }
  for (int level : {0, 20, -1}) {
    SealOptions o = options(1);
    o.zstd_level = level;
    EXPECT_FALSE(validate_seal_options(o).has_value()) << level;
  }
  EXPECT_EQ(listing(scratch_.path()), std::set<std::string>{"input"});
}

TEST_F(SealSession, SealsUnderTheSessionIdItIsGiven) {
  write_bytes(scratch_ / "input", pattern_data(100, 1));
  SealOptions o = options(1);
  o.session_id = "5f0c2b8e-3d41-4a7e-9c16-0e2d8f4b7a93";  // as sessions-gateway minted it
  auto s = seal_file(scratch_ / "input", scratch_ / "session", o);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->manifest.session_id, o.session_id);
  o.session_id = "not-a-uuid";
  auto refused = seal_file(scratch_ / "input", scratch_ / "other", o);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("not a UUID"), std::string::npos) << refused.error().message;
  EXPECT_FALSE(fs::exists(scratch_ / "other"));
}

TEST_F(SealSession, ExistingNonEmptyOutputIsRefusedAndUntouched) {
  write_bytes(scratch_ / "input", pattern_data(100, 1));
  fs::create_directory(scratch_ / "session");
  write_bytes(scratch_ / "session" / "keep.txt", {'k'});
  auto s = seal_file(scratch_ / "input", scratch_ / "session", options(1));
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(listing(scratch_ / "session"), std::set<std::string>{"keep.txt"});
  EXPECT_EQ(listing(scratch_.path()), (std::set<std::string>{"input", "session"}));
  // A regular file in the way is refused too.
  write_bytes(scratch_ / "file", {'f'});
  EXPECT_FALSE(seal_file(scratch_ / "input", scratch_ / "file", options(1)).has_value());
  EXPECT_EQ(read_bytes(scratch_ / "file"), std::vector<std::uint8_t>{'f'});
}

TEST_F(SealSession, ExistingEmptyOutputDirectoryIsFilled) {
  auto input = pattern_data(1000, 3);
  write_bytes(scratch_ / "input", input);
  fs::create_directory(scratch_ / "session");
  auto s = seal_file(scratch_ / "input", scratch_ / "session", options(1));
  ASSERT_TRUE(s.has_value()) << s.error().message;
  check_session(scratch_ / "session", *s, input, kDefaultChunkSize, 1);
}

TEST_F(SealSession, ReadErrorLeavesNothingBehind) {
  fs::create_directory(scratch_ / "adir");
  int fd = ::open((scratch_ / "adir").c_str(), O_RDONLY | O_CLOEXEC);  // read(2) fails with EISDIR
  ASSERT_GE(fd, 0);
  auto s = seal_stream(fd, scratch_ / "session", node_, key_, options(2));
  ::close(fd);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().kind, ErrorKind::kIo);
  EXPECT_EQ(listing(scratch_.path()), std::set<std::string>{"adir"});
}

TEST_F(SealSession, TamperedChunkFailsVerifyAndOpenWithAnIncident) {
  auto input = pattern_data(2 * kMinChunkSize + 1000, 9);
  write_bytes(scratch_ / "input", input);
  auto s = seal_file(scratch_ / "input", scratch_ / "session", options(2));
  ASSERT_TRUE(s.has_value()) << s.error().message;
  fs::path chunk = scratch_ / "session" / chunk_relative_path(1);
  auto bytes = read_bytes(chunk);
  bytes[bytes.size() / 2] ^= 0x01;
  write_bytes(chunk, bytes);

  auto report = verify_session(scratch_ / "session", node_.public_key(), 2);
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(report->ok());
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_EQ(report->problems[0].subject, "chunk 1");
  EXPECT_EQ(report->problems[0].chunk_index, 1u);

  fs::create_directory(scratch_ / "out");
  OpenOptions oo;
  oo.threads = 2;
  oo.incident_log = scratch_ / "incidents.jsonl";
  auto opened = open_session(scratch_ / "session", key_, scratch_ / "out" / "restored", oo);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().kind, ErrorKind::kAuthentication);
  EXPECT_NE(opened.error().message.find("chunk 1"), std::string::npos) << opened.error().message;
  EXPECT_TRUE(fs::is_empty(scratch_ / "out")) << "partial output left behind";
  auto lines = read_lines(scratch_ / "incidents.jsonl");
  ASSERT_EQ(lines.size(), 1u);
  auto j = json::parse(lines[0]);
  EXPECT_EQ(j["session_id"], s->manifest.session_id);
  EXPECT_EQ(j["chunk_index"], 1);
  EXPECT_EQ(j["reason"], "leaf-hash-mismatch");
  EXPECT_TRUE(j["time"].is_string());
  EXPECT_EQ(j["directory"], fs::absolute(scratch_ / "session").string());
}

TEST_F(SealSession, WrongSessionKeyIsAnAeadIncidentAtChunkZero) {
  auto input = pattern_data(kMinChunkSize + 10, 4);
  write_bytes(scratch_ / "input", input);
  auto s = seal_file(scratch_ / "input", scratch_ / "session", options(2));
  ASSERT_TRUE(s.has_value()) << s.error().message;
  SessionKey wrong = key_;
  wrong.data()[0] ^= 1;
  OpenOptions oo;
  oo.incident_log = scratch_ / "incidents.jsonl";
  auto opened = open_session(scratch_ / "session", wrong, scratch_ / "restored", oo);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().kind, ErrorKind::kAuthentication);
  EXPECT_FALSE(fs::exists(scratch_ / "restored"));
  auto lines = read_lines(scratch_ / "incidents.jsonl");
  ASSERT_EQ(lines.size(), 1u);
  auto j = json::parse(lines[0]);
  EXPECT_EQ(j["reason"], "aead-failure");
  EXPECT_EQ(j["chunk_index"], 0);
}

TEST_F(SealSession, UnexpectedNodeKeyFailsVerifyAndOpen) {
  write_bytes(scratch_ / "input", pattern_data(100, 4));
  auto s = seal_file(scratch_ / "input", scratch_ / "session", options(1));
  ASSERT_TRUE(s.has_value());
  auto other = crypto::Ed25519KeyPair::generate();
  auto report = verify_session(scratch_ / "session", other.public_key(), 1);
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(report->ok());
  EXPECT_EQ(report->problems.at(0).subject, "field participants");
  OpenOptions oo;
  oo.expected_node_key = other.public_key();
  oo.incident_log = scratch_ / "incidents.jsonl";
  auto opened = open_session(scratch_ / "session", key_, scratch_ / "restored", oo);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().kind, ErrorKind::kAuthentication);
  EXPECT_FALSE(fs::exists(scratch_ / "restored"));
  auto j = json::parse(read_lines(scratch_ / "incidents.jsonl").at(0));
  EXPECT_EQ(j["reason"], "manifest-invalid");
  EXPECT_TRUE(j["chunk_index"].is_null());
}

TEST_F(SealSession, VerifyReportsUnreadableManifestAndMissingDirectory) {
  auto missing = verify_session(scratch_ / "nope", std::nullopt, 1);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);

  fs::create_directories(scratch_ / "bad" / "chunks");
  std::string junk = "{\"format\": ";
  write_bytes(scratch_ / "bad" / "manifest.json", {junk.begin(), junk.end()});
  // An unparseable manifest leaves nothing to verify: one error naming the file.
  auto report = verify_session(scratch_ / "bad", std::nullopt, 1);
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().kind, ErrorKind::kCorrupt);
  EXPECT_NE(report.error().message.find("manifest.json"), std::string::npos) << report.error().message;

  auto read = read_manifest(scratch_ / "bad");
  ASSERT_FALSE(read.has_value());
  EXPECT_NE(read.error().message.find("manifest.json"), std::string::npos);
}

TEST_F(SealSession, ExtraChunkFileIsReportedByVerify) {
  write_bytes(scratch_ / "input", pattern_data(100, 4));
  auto s = seal_file(scratch_ / "input", scratch_ / "session", options(1));
  ASSERT_TRUE(s.has_value());
  fs::copy_file(scratch_ / "session" / chunk_relative_path(0), scratch_ / "session" / chunk_relative_path(1));
  write_bytes(scratch_ / "session" / "chunks" / "notes.txt", {'x'});
  EXPECT_EQ(unexpected_chunk_files(scratch_ / "session", 1),
            (std::vector<std::string>{"chunks/00000001.sealed", "chunks/notes.txt"}));
  auto report = verify_session(scratch_ / "session", std::nullopt, 1);
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(report->ok());
  EXPECT_EQ(report->problems.size(), 2u);
}

// ---- key files ----

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

TEST(SealKeys, SessionKeyIsCreatedWithMode0600AndReloaded) {
  ScratchDir dir;
  auto created = load_session_key(dir / "s.key", true);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_EQ(mode_of(dir / "s.key"), 0600u);
  auto again = load_session_key(dir / "s.key", false);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(to_hex(again->span()), to_hex(created->span()));
  // The file holds the key as 64 hex characters (and maybe comments).
  auto text = read_bytes(dir / "s.key");
  EXPECT_NE(std::string(text.begin(), text.end()).find(to_hex(created->span())), std::string::npos);
  // create_if_missing does not replace an existing key.
  auto third = load_session_key(dir / "s.key", true);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(to_hex(third->span()), to_hex(created->span()));
}

TEST(SealKeys, BadSessionKeyFilesAreRefusedWithoutQuotingThem) {
  ScratchDir dir;
  auto write_key = [&](const std::string& name, const std::string& text, unsigned mode) {
    write_bytes(dir / name, {text.begin(), text.end()});
    ::chmod((dir / name).c_str(), mode);
    return dir / name;
  };
  const std::string hex62(62, 'a');
  const std::string hex64 = std::string(63, 'b') + "c";
  struct Case {
    std::string name, text;
    unsigned mode;
  };
  for (const auto& c :
       {Case{"short", hex62 + "\n", 0600}, Case{"long", hex64 + "dd\n", 0600},
        Case{"nonhex", std::string(63, 'b') + "x\n", 0600}, Case{"two", hex64 + "\n" + hex64 + "\n", 0600},
        Case{"empty", "# only a comment\n", 0600}, Case{"open", hex64 + "\n", 0644},
        Case{"group", hex64 + "\n", 0640}}) {
    auto path = write_key(c.name, c.text, c.mode);
    auto k = load_session_key(path, false);
    ASSERT_FALSE(k.has_value()) << c.name;
    EXPECT_NE(k.error().message.find(path.string()), std::string::npos) << k.error().message;
    EXPECT_EQ(k.error().message.find(hex64.substr(0, 16)), std::string::npos) << k.error().message;
    EXPECT_EQ(k.error().message.find(hex62.substr(0, 16)), std::string::npos) << k.error().message;
  }
  EXPECT_FALSE(load_session_key(dir / "missing", false).has_value());
  EXPECT_FALSE(fs::exists(dir / "missing"));
  auto ok = load_session_key(write_key("ok", "# comment\n\n  " + hex64 + "  \n", 0600), false);
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(to_hex(ok->span()), hex64);
}

TEST(SealKeys, NodeKeyGenerationModesReloadAndNoOverwrite) {
  ScratchDir dir;
  auto kp = generate_node_key(dir / "node.key");
  ASSERT_TRUE(kp.has_value()) << kp.error().message;
  EXPECT_EQ(mode_of(dir / "node.key"), 0600u);
  EXPECT_EQ(mode_of(dir / "node.key.pub"), 0644u);
  auto loaded = load_node_key(dir / "node.key");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->public_key(), kp->public_key());
  auto pub = load_public_key(dir / "node.key.pub");
  ASSERT_TRUE(pub.has_value());
  EXPECT_EQ(*pub, kp->public_key());
  auto before = read_bytes(dir / "node.key");
  auto again = generate_node_key(dir / "node.key");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().kind, ErrorKind::kAlreadyExists);
  EXPECT_EQ(read_bytes(dir / "node.key"), before);
  ::chmod((dir / "node.key").c_str(), 0644);
  EXPECT_FALSE(load_node_key(dir / "node.key").has_value());
}

// ---- incidents ----

TEST(SealIncident, DefaultLogIsBesideTheSessionDirectory) {
  EXPECT_EQ(default_incident_log("/srv/rec/sess-1"), fs::path("/srv/rec/lucid-incidents.jsonl"));
  EXPECT_EQ(default_incident_log("/srv/rec/sess-1/"), fs::path("/srv/rec/lucid-incidents.jsonl"));
  EXPECT_EQ(default_incident_log("/srv/rec/./sess-1"), fs::path("/srv/rec/lucid-incidents.jsonl"));
  EXPECT_EQ(default_incident_log("sess"), fs::current_path() / "lucid-incidents.jsonl");
}

TEST(SealIncident, AppendsOneJsonLinePerIncident) {
  ScratchDir dir;
  fs::path log = dir / "incidents.jsonl";
  ASSERT_TRUE(append_incident(log, {"id-1", 4, "aead-failure", "tag mismatch", "/x"}).has_value());
  ASSERT_TRUE(
      append_incident(log, {"id-2", std::nullopt, "manifest-invalid", "signature", "/y"}).has_value());
  EXPECT_EQ(mode_of(log), 0600u);
  auto lines = read_lines(log);
  ASSERT_EQ(lines.size(), 2u);
  auto a = json::parse(lines[0]);
  auto b = json::parse(lines[1]);
  EXPECT_EQ(a["session_id"], "id-1");
  EXPECT_EQ(a["chunk_index"], 4);
  EXPECT_EQ(a["reason"], "aead-failure");
  EXPECT_EQ(a["detail"], "tag mismatch");
  EXPECT_EQ(a["directory"], "/x");
  ASSERT_TRUE(a["time"].is_string());
  EXPECT_EQ(a["time"].get<std::string>().size(), 20u);  // 2026-11-26T17:52:26Z
  EXPECT_TRUE(a["time"].get<std::string>().ends_with("Z"));
  EXPECT_TRUE(b["chunk_index"].is_null());
  EXPECT_EQ(b["reason"], "manifest-invalid");
}

// ---- inclusion proofs ----

TEST(SealProof, EveryChunkHasAProofThatVerifiesAndOnlyForItsLeafAndRoot) {
  for (std::size_t n : {1u, 2u, 3u, 5u, 8u, 13u}) {
    Manifest m;
    m.session_id = uuid_v4();
    std::vector<crypto::Digest> leaves;
    for (std::size_t i = 0; i < n; ++i) {
      std::string b = "leaf " + std::to_string(i);
      auto h = crypto::merkle_leaf_hash({reinterpret_cast<const std::uint8_t*>(b.data()), b.size()});
      m.chunks.push_back({i, b.size(), b.size(), h});
      leaves.push_back(h);
    }
    m.merkle_root = crypto::merkle_root(leaves);
    for (std::size_t i = 0; i < n; ++i) {
      auto proof = make_inclusion_proof(m, i);
      ASSERT_TRUE(proof.has_value());
      EXPECT_EQ((*proof)["index"], i);
      EXPECT_EQ((*proof)["tree_size"], n);
      std::string text = proof->dump();
      EXPECT_TRUE(verify_inclusion_proof(text, m.merkle_root, leaves[i]).has_value()) << n << "/" << i;
      auto other_leaf = verify_inclusion_proof(text, m.merkle_root, leaves[(i + 1) % n]);
      if (n > 1) {
        ASSERT_FALSE(other_leaf.has_value());
        EXPECT_EQ(other_leaf.error().kind, ErrorKind::kAuthentication);
      }
      crypto::Digest bad_root = m.merkle_root;
      bad_root[31] ^= 1;
      auto wrong_root = verify_inclusion_proof(text, bad_root, leaves[i]);
      ASSERT_FALSE(wrong_root.has_value());
      EXPECT_EQ(wrong_root.error().kind, ErrorKind::kAuthentication);
      // Without the restated leaf and root, the audit path alone still decides.
      json bare = *proof;
      bare.erase("leaf_hash");
      bare.erase("root");
      EXPECT_TRUE(verify_inclusion_proof(bare.dump(), m.merkle_root, leaves[i]).has_value());
      EXPECT_FALSE(verify_inclusion_proof(bare.dump(), bad_root, leaves[i]).has_value());
      if (n > 1) {
        EXPECT_FALSE(verify_inclusion_proof(bare.dump(), m.merkle_root, leaves[(i + 1) % n]).has_value());
      }
    }
    EXPECT_FALSE(make_inclusion_proof(m, n).has_value());
  }
}

TEST(SealProof, MalformedProofsAreCorrupt) {
  crypto::Digest d{};
  for (std::string text :
       {"", "not json", "[]", "{}", R"({"format":"other","index":0,"tree_size":1,"path":[]})",
        R"({"format":"lucid.merkle-inclusion-proof","index":-1,"tree_size":1,"path":[]})",
        R"({"format":"lucid.merkle-inclusion-proof","index":0,"tree_size":1,"path":"x"})",
        R"({"format":"lucid.merkle-inclusion-proof","index":0,"tree_size":2,"path":["zz"]})"}) {
    auto s = verify_inclusion_proof(text, d, d);
    ASSERT_FALSE(s.has_value()) << text;
    EXPECT_EQ(s.error().kind, ErrorKind::kCorrupt) << text << ": " << s.error().message;
  }
}

}  // namespace
}  // namespace lucid::seal
