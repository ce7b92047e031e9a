// Sessions from untrusted peers (issue 12 item 6) at library level: every size and count a manifest
// states is bounded before anything is sized by it (each refusal names its field) while the largest
// session a writer can produce still fits; session files are opened without following links or
// blocking on pipes; and the spool removes only the inbox file it actually sealed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/random.h"
#include "lucid/crypto/merkle.h"
#include "lucid/seal/chunk_store.h"
#include "lucid/seal/format.h"
#include "lucid/seal/keys.h"
#include "lucid/seal/manifest.h"
#include "lucid/seal/open_session.h"
#include "lucid/seal/seal_session.h"
#include "lucid/seal/session_file.h"
#include "lucid/seal/spool.h"
#include "lucid/seal/verify_session.h"
#include "testing/testing.h"

namespace lucid::seal {
namespace {
namespace fs = std::filesystem;
using lucid::testing::read_bytes;
using lucid::testing::ScratchDir;
using lucid::testing::write_bytes;
using nlohmann::json;

std::vector<std::uint8_t> bytes_of(const std::string& s) {
  return {s.begin(), s.end()};
}

// A real one-chunk session sealed by `node`, and its manifest as JSON to spoil.
class Untrusted : public ::testing::Test {
 protected:
  void SetUp() override {
    random_bytes(key_.span());
    write_bytes(scratch_ / "input", bytes_of("a short recording"));
    int fd = ::open((scratch_ / "input").c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    SealOptions o;
    o.threads = 1;
    o.fsync = false;
    auto s = seal_stream(fd, session(), node_, key_, o);
    ::close(fd);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    auto text = read_bytes(session() / kManifestFileName);
    manifest_ = json::parse(text.begin(), text.end());
  }

  fs::path session() const { return scratch_ / "session"; }
  fs::path chunk0() const { return session() / chunk_relative_path(0); }

  // parse_manifest of the good manifest changed by `edit`; the error message, or "" when it parsed.
  template <typename Edit>
  std::string parse_error(Edit edit) {
    json m = manifest_;
    edit(m);
    auto r = parse_manifest(m.dump());
    return r ? std::string() : r.error().message;
  }

  std::optional<ChunkFault> load(const ManifestChunk& entry) {
    std::vector<std::uint8_t> buffer;
    auto fault = load_chunk(session(), entry, buffer);
    EXPECT_EQ(buffer.capacity() > kMaxSealedChunkBytes, false);
    return fault;
  }
  ManifestChunk entry0() const {
    auto m = parse_manifest(manifest_.dump()).value();
    return m.chunks.at(0);
  }

  ScratchDir scratch_;
  crypto::Ed25519KeyPair node_ = crypto::Ed25519KeyPair::generate();
  SessionKey key_;
  json manifest_;
};

// ---- manifest bounds ----

TEST_F(Untrusted, EverySizeAndCountIsBoundedNamingTheField) {
  constexpr std::uint64_t kTiB = std::uint64_t{1} << 40;
  EXPECT_EQ(parse_error([](json&) {}), "");
  EXPECT_EQ(parse_error([&](json& m) { m["chunk_size"] = kTiB; }),
            "chunk_size: 1099511627776 exceeds 16777216 (the largest chunk size)");
  EXPECT_EQ(parse_error([&](json& m) { m["chunk_count"] = kTiB; }),
            "chunk_count: 1099511627776 exceeds 262144 (the most chunks a session may have)");
  EXPECT_EQ(parse_error([&](json& m) { m["total_bytes"] = kMaxSessionBytes + 1; }),
            "total_bytes: 4398046511105 exceeds 4398046511104 (the most chunks of the largest size)");
  EXPECT_EQ(parse_error([&](json& m) { m["chunks"][0]["sealed_bytes"] = kTiB; }),
            "chunks[0].sealed_bytes: 1099511627776 exceeds 16842768 (the largest a sealed chunk can be)");
  EXPECT_EQ(parse_error([&](json& m) { m["chunks"][0]["plain_bytes"] = kMaxChunkSize + 1; }),
            "chunks[0].plain_bytes: 16777217 exceeds 16777216 (the largest chunk size)");
  EXPECT_EQ(parse_error([&](json& m) { m["codec"] = std::string(kMaxManifestStringBytes + 1, 'x'); }),
            "codec: is 1025 bytes long; at most 1024 are allowed");
  EXPECT_EQ(parse_error([&](json& m) { m["recorder"]["version"] = std::string(5000, '1'); }),
            "recorder.version: is 5000 bytes long; at most 1024 are allowed");
  EXPECT_EQ(parse_error([&](json& m) {
              json p = m["participants"][0];
              for (std::uint64_t i = 0; i < kMaxParticipants; ++i) m["participants"].push_back(p);
            }),
            "participants: lists more than 256 items (the most participants of a session)");
  EXPECT_EQ(parse_error([&](json& m) {
              json s = m["signatures"][0];
              for (std::uint64_t i = 0; i < kMaxParticipants; ++i) m["signatures"].push_back(s);
            }),
            "signatures: lists more than 256 items (one per participant at most)");
  EXPECT_EQ(parse_error([&](json& m) { m["chunks"][0]["leaf_hash"] = json::array({json::array()}); }),
            "objects and arrays nest deeper than a manifest's 3 levels");
  EXPECT_EQ(parse_error([&](json& m) { m["padding"] = json::array({1, 2, 3}); }), "padding: unknown field");
  auto top_array = parse_manifest("[[1]]");
  ASSERT_FALSE(top_array.has_value());
  EXPECT_EQ(top_array.error().message, "expected a JSON object at the top level");
  // Exactly at the bounds is allowed (the manifest is then inconsistent, which check_manifest says).
  EXPECT_EQ(parse_error([&](json& m) {
              m["chunk_size"] = kMaxChunkSize;
              m["chunk_count"] = kMaxChunkCount;
              m["total_bytes"] = kMaxSessionBytes;
              m["chunks"][0]["sealed_bytes"] = kMaxSealedChunkBytes;
              m["chunks"][0]["plain_bytes"] = kMaxChunkSize;
            }),
            "");
}

TEST(UntrustedManifestText, OversizedTextTooManyValuesAndTooManyChunksAreRefusedUnstored) {
  auto too_big = parse_manifest(std::string(kMaxManifestBytes + 1, ' '));
  ASSERT_FALSE(too_big.has_value());
  EXPECT_EQ(too_big.error().message, "is 51380225 bytes, more than a manifest may be (51380224 bytes)");

  std::string values = "{\"padding\":0";
  for (std::uint64_t i = 0; i <= kMaxManifestJsonValues; ++i) values += ",\"padding\":0";
  values += "}";
  auto many = parse_manifest(values);
  ASSERT_FALSE(many.has_value());
  EXPECT_TRUE(many.error().message.starts_with("holds more than")) << many.error().message;

  // kMaxChunkCount + 1 entries in `chunks`: refused on the first pass, naming the field.
  std::string entry = R"({"index":0,"leaf_hash":")" + std::string(64, '0') +
                      R"(","plain_bytes":8388608,"sealed_bytes":8388826},)";
  std::string chunks = R"({"chunks":[)";
  chunks.reserve(entry.size() * (kMaxChunkCount + 2));
  for (std::uint64_t i = 0; i <= kMaxChunkCount; ++i) chunks += entry;
  chunks.back() = ']';
  chunks += "}";
  auto long_list = parse_manifest(chunks);
  ASSERT_FALSE(long_list.has_value());
  EXPECT_EQ(long_list.error().message,
            "chunks: lists more than 262144 items (the most chunks a session may have)");
}

// The bounds leave room for the largest session a writer produces: kMaxChunkCount full chunks of the
// largest size, each at its largest sealed length, and the most participants, all signing.
TEST(UntrustedManifestText, TheLargestValidManifestFitsTheBounds) {
  Manifest m;
  m.session_id = uuid_v4();
  m.created_at = "2026-11-26T17:52:26Z";
  m.codec = std::string(kMaxManifestStringBytes, 'c');
  m.chunk_size = kMaxChunkSize;
  m.chunk_count = kMaxChunkCount;
  m.total_bytes = kMaxSessionBytes;
  m.chunks.reserve(kMaxChunkCount);
  crypto::Digest leaf{};
  leaf.fill(0xab);
  for (std::uint64_t i = 0; i < kMaxChunkCount; ++i)
    m.chunks.push_back({i, kMaxSealedChunkBytes, kMaxChunkSize, leaf});
  std::vector<crypto::Ed25519KeyPair> keys;
  for (std::uint64_t i = 0; i < kMaxParticipants; ++i) {
    keys.push_back(crypto::Ed25519KeyPair::generate());
    m.participants.push_back({i == 0 ? "node" : "participant", keys.back().public_key()});
  }
  m.recorder_software = std::string(kMaxManifestStringBytes, 's');
  m.recorder_version = std::string(kMaxManifestStringBytes, 'v');
  m.device_fingerprint = std::string(kMaxManifestStringBytes, 'f');
  // One real signature; the others are copies under the other keys (parsing does not check them, and
  // signing a 40 MB document 256 times would only make the test slow).
  ASSERT_TRUE(m.sign(keys[0]).has_value());
  for (std::uint64_t i = 1; i < kMaxParticipants; ++i)
    m.signatures.push_back({keys[i].public_key(), m.signatures[0].signature});
  auto text = serialize_manifest(m);
  ASSERT_TRUE(text.has_value());
  EXPECT_LE(text->size(), kMaxManifestBytes);
  auto parsed = parse_manifest(*text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->chunks.size(), kMaxChunkCount);
  EXPECT_EQ(parsed->signatures.size(), kMaxParticipants);
}

TEST(UntrustedSealLimits, WhatAReaderWouldRefuseIsNotSealed) {
  SealOptions o;
  o.participants.assign(kMaxParticipants, crypto::Ed25519KeyPair::generate().public_key());
  auto s = validate_seal_options(o);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().message, "256 participants besides the node; at most 255 are allowed");
  o.participants.pop_back();
  EXPECT_TRUE(validate_seal_options(o).has_value());
  o.codec = std::string(kMaxManifestStringBytes + 1, 'x');
  EXPECT_FALSE(validate_seal_options(o).has_value());
}

// ---- session files ----

// A 1 TiB sparse chunk file is refused by its size, never read, whatever the entry claims.
TEST_F(Untrusted, OversizedChunkFileIsNotRead) {
  fs::resize_file(chunk0(), std::uint64_t{1} << 40);
  ManifestChunk claim = entry0();
  claim.sealed_bytes = std::uint64_t{1} << 40;  // as a manifest built in code could say
  auto fault = load(claim);
  ASSERT_TRUE(fault.has_value());
  EXPECT_EQ(fault->reason, "length-mismatch");
  EXPECT_NE(fault->detail.find("is 1099511627776 bytes, more than the format allows (16842768 bytes)"),
            std::string::npos)
      << fault->detail;
}

TEST_F(Untrusted, FifoChunkIsRefusedWithoutBlocking) {
  fs::remove(chunk0());
  ASSERT_EQ(::mkfifo(chunk0().c_str(), 0600), 0);
  // Should the reader block in open(2), a writer opened after the deadline releases it so the
  // test fails instead of hanging.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; })) {
      ADD_FAILURE() << "reading the FIFO blocked";
      int fd = ::open(chunk0().c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) ::close(fd);
    }
  });
  auto fault = load(entry0());
  auto report = verify_session(session(), node_.public_key(), 1);
  OpenOptions oo;
  oo.threads = 1;
  oo.incident_log = scratch_ / "incidents.jsonl";
  auto opened = open_session(session(), key_, scratch_ / "out", oo);
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_all();
  watchdog.join();

  ASSERT_TRUE(fault.has_value());
  EXPECT_EQ(fault->reason, "unreadable-chunk");
  EXPECT_EQ(fault->detail,
            chunk0().string() +
                ": is a named pipe, not a regular file; a session directory holds only regular "
                "files and its chunks/ directory (links are never followed)");
  ASSERT_TRUE(report.has_value());
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_EQ(report->problems[0].chunk_index, 0u);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().kind, ErrorKind::kAuthentication);
  EXPECT_NE(opened.error().message.find("is a named pipe"), std::string::npos) << opened.error().message;
  EXPECT_FALSE(fs::exists(scratch_ / "out"));
}

TEST_F(Untrusted, SymlinksAnywhereBelowTheSessionAreRefused) {
  // The session directory itself is the caller's choice and may be reached through a link; nothing
  // outside it is reachable by name.
  fs::create_symlink(session(), scratch_ / "link-to-session");
  EXPECT_TRUE(
      open_session_file(scratch_ / "link-to-session", kManifestFileName, kMaxManifestBytes).has_value());
  EXPECT_FALSE(open_session_file(session(), "../input", 100).has_value());
  EXPECT_FALSE(open_session_file(session(), "chunks/..", 100).has_value());

  // A link to the very bytes that belong there is refused all the same.
  fs::rename(chunk0(), scratch_ / "elsewhere");
  fs::create_symlink(scratch_ / "elsewhere", chunk0());
  auto fault = load(entry0());
  ASSERT_TRUE(fault.has_value());
  EXPECT_EQ(fault->reason, "unreadable-chunk");
  EXPECT_TRUE(fault->detail.starts_with(chunk0().string() + ": is a symbolic link, not a regular file"))
      << fault->detail;
  fs::remove(chunk0());
  fs::rename(scratch_ / "elsewhere", chunk0());
  EXPECT_FALSE(load(entry0()).has_value());

  fs::rename(session() / "chunks", scratch_ / "chunks-elsewhere");
  fs::create_symlink(scratch_ / "chunks-elsewhere", session() / "chunks");
  fault = load(entry0());
  ASSERT_TRUE(fault.has_value());
  EXPECT_TRUE(
      fault->detail.starts_with((session() / "chunks").string() + ": is a symbolic link, not a directory"))
      << fault->detail;

  fs::rename(session() / kManifestFileName, scratch_ / "manifest-elsewhere.json");
  fs::create_symlink(scratch_ / "manifest-elsewhere.json", session() / kManifestFileName);
  auto m = read_manifest(session());
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(m.error().message.starts_with((session() / kManifestFileName).string() +
                                            ": is a symbolic link, not a regular file"))
      << m.error().message;
}

TEST_F(Untrusted, MissingFilesAreNamedAsMissing) {
  fs::remove(chunk0());
  auto fault = load(entry0());
  ASSERT_TRUE(fault.has_value());
  EXPECT_EQ(fault->reason, "missing-chunk");
  EXPECT_EQ(fault->detail, "file chunks/00000000.sealed is missing");
  auto text = read_session_text(session(), "absent.json", 100);
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(text.error().message, (session() / "absent.json").string() + ": missing");
}

// A peer's chunks/ may hold any number of stray files: the report names 100 and counts the rest.
TEST_F(Untrusted, StrayChunkFilesAreNamedUpToAHundredThenCounted) {
  for (int i = 0; i < 105; ++i) write_bytes(session() / "chunks" / ("stray-" + std::to_string(i)), {'x'});
  auto extra = unexpected_chunk_files(session(), 1);
  ASSERT_EQ(extra.size(), 101u);
  EXPECT_TRUE(extra[0].starts_with("chunks/stray-")) << extra[0];
  EXPECT_EQ(extra.back(), "chunks/ (5 more files)");
}

// ---- the spool's inbox ----

class SpoolInbox : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(prepare_spool(spool_).has_value()); }
  SealOptions options() const {
    SealOptions o;
    o.threads = 1;
    o.fsync = false;
    return o;
  }
  ScratchDir scratch_;
  Spool spool_{scratch_.path() / "spool"};
  crypto::Ed25519KeyPair node_ = crypto::Ed25519KeyPair::generate();
};

TEST_F(SpoolInbox, TheSealedInputIsRemoved) {
  write_bytes(spool_.inbox() / "rec", bytes_of("recording A"));
  auto sealed = seal_inbox_entry(spool_, "rec", node_, options());
  ASSERT_TRUE(sealed.has_value()) << sealed.error().message;
  EXPECT_TRUE(sealed->input_kept.empty());
  EXPECT_FALSE(fs::exists(fs::symlink_status(spool_.inbox() / "rec")));
}

// A different recording renamed over inbox/NAME while NAME was being sealed is not deleted: the
// worker sealed the file it opened, and removes the path only while it still names that file.
TEST_F(SpoolInbox, ARecordingRenamedOverTheInputWhileSealingIsKept) {
  write_bytes(spool_.inbox() / "rec", bytes_of("recording A"));
  write_bytes(spool_.inbox() / ".rec.part", bytes_of("recording B, arrived meanwhile"));
  SealOptions o = options();
  int calls = 0;
  o.progress = [&](std::uint64_t, std::uint64_t) {
    // Called after the input's first chunk was read, i.e. while it is being sealed.
    if (calls++ == 0) fs::rename(spool_.inbox() / ".rec.part", spool_.inbox() / "rec");
  };
  auto sealed = seal_inbox_entry(spool_, "rec", node_, o);
  ASSERT_TRUE(sealed.has_value()) << sealed.error().message;
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(sealed->input_kept,
            (spool_.inbox() / "rec").string() +
                " was replaced by another file while it was being sealed; the new file was "
                "left in place");
  EXPECT_EQ(read_bytes(spool_.inbox() / "rec"), bytes_of("recording B, arrived meanwhile"));

  // The session holds what was opened: recording A.
  auto key = load_session_key(spool_.session_key("rec"), false);
  ASSERT_TRUE(key.has_value());
  OpenOptions oo;
  oo.expected_node_key = node_.public_key();
  oo.incident_log = scratch_ / "incidents.jsonl";
  auto opened = open_session(spool_.session_dir("rec"), *key, scratch_ / "restored", oo);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(read_bytes(scratch_ / "restored"), bytes_of("recording A"));
}

}  // namespace
}  // namespace lucid::seal
