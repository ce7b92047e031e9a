// End-to-end tests of the real `lucid-node-worker` fed sessions from an untrusted peer (issue 12 item 6,
// "What must be shown" item 7): crafted manifests with huge sizes, a FIFO chunk file or manifest, and
// symlinked chunk files, chunks/ and manifest each end with one clear error line in bounded time and
// memory (every run has a deadline and an address-space limit, and its peak RSS is checked); `verify`
// without --node-pub says that the signer is not pinned and exits 1; --any-signer verifies and says so.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/seal/format.h"
#include "testing/data.h"
#include "testing/testing.h"

namespace lucid::e2e {
namespace {
namespace fs = std::filesystem;
using lucid::testing::bin_dir;
using lucid::testing::ScratchDir;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Every run: at most this long and this much address space; a refusal must also stay under kQuickRss.
constexpr auto kDeadline = std::chrono::seconds(20);
constexpr std::uint64_t kAddressSpace = std::uint64_t{1} << 30;
constexpr long kQuickRssKiB = 64 * 1024;
constexpr std::uint64_t kTiB = std::uint64_t{1} << 40;

struct Bounded {
  int exit_code = -1;  // -1 when killed (deadline or signal)
  int signal = 0;
  bool timed_out = false;
  double seconds = 0;
  long max_rss_kib = 0;
  std::string out;
  std::string err;
};

// Runs argv with RLIMIT_AS = kAddressSpace and a kDeadline kill, capturing both outputs and the
// child's peak resident size (wait4).
Bounded run_bounded(std::vector<std::string> argv) {
  argv.insert(argv.begin(), (bin_dir() / "lucid-node-worker").string());
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) return {};
  auto start = Clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    rlimit limit{kAddressSpace, kAddressSpace};
    ::setrlimit(RLIMIT_AS, &limit);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  Bounded r;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(start + kDeadline - Clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.max_rss_kib = usage.ru_maxrss;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

std::string describe(const Bounded& r) {
  return "exit " + std::to_string(r.exit_code) + (r.signal ? " signal " + std::to_string(r.signal) : "") +
         (r.timed_out ? " (killed at the deadline)" : "") + " after " + std::to_string(r.seconds) + " s, " +
         std::to_string(r.max_rss_kib) + " KiB peak\nstdout: " + r.out + "\nstderr: " + r.err;
}

// A refusal: the expected exit code, one "lucid-node-worker: error:" line naming `what`, quickly and
// with little memory.
void expect_refused(const Bounded& r, int code, const std::string& what, long rss_kib = kQuickRssKiB) {
  EXPECT_EQ(r.exit_code, code) << describe(r);
  EXPECT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.signal, 0) << describe(r);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << describe(r);
  EXPECT_TRUE(r.err.starts_with("lucid-node-worker: error: ")) << describe(r);
  EXPECT_NE(r.err.find(what), std::string::npos) << "the error does not name " << what << "\n" << describe(r);
  EXPECT_LT(r.seconds, 5.0) << describe(r);
  EXPECT_LT(r.max_rss_kib, rss_kib) << describe(r);
}

class UntrustedSession : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_bounded({"keygen", "--out", key().string()}).exit_code, 0);
    // Two chunks: a full one and a short last one.
    lucid::testing::write_random_file(dir_ / "in", seal::kMinChunkSize + 1000, 12);
    Bounded s =
        run_bounded({"seal", (dir_ / "in").string(), "--out", good().string(), "--node-key", key().string(),
                     "--session-key-file", (dir_ / "s.key").string(), "--no-fsync", "--quiet"});
    ASSERT_EQ(s.exit_code, 0) << describe(s);
  }

  fs::path key() const { return dir_ / "node.key"; }
  std::string pub() const { return key().string() + ".pub"; }
  fs::path good() const { return dir_ / "good"; }

  // A copy of the good session to spoil.
  fs::path copy(const std::string& name) {
    fs::copy(good(), dir_ / name, fs::copy_options::recursive);
    return dir_ / name;
  }
  // A copy whose manifest.json is the good one changed by `edit` (its signature no longer matters:
  // what is shown is that the sizes are refused before anything is sized by them).
  template <typename Edit>
  fs::path crafted(const std::string& name, Edit edit) {
    fs::path dir = copy(name);
    std::ifstream in(dir / "manifest.json");
    json m = json::parse(in);
    in.close();
    edit(m);
    std::ofstream(dir / "manifest.json") << m.dump();
    return dir;
  }
  fs::path chunk(const fs::path& dir, int i) const {
    return dir / "chunks" / (i == 0 ? "00000000.sealed" : "00000001.sealed");
  }

  Bounded verify(const fs::path& dir) { return run_bounded({"verify", dir.string(), "--node-pub", pub()}); }
  Bounded open(const fs::path& dir) {
    return run_bounded({"open", dir.string(), "--session-key-file", (dir_ / "s.key").string(), "-o",
                        (dir_ / ("out-" + dir.filename().string())).string(), "--incident-log",
                        (dir_ / "incidents.jsonl").string()});
  }

  ScratchDir dir_;
};

TEST_F(UntrustedSession, TheGoodSessionVerifiesAndOpens) {
  EXPECT_EQ(verify(good()).exit_code, 0);
  EXPECT_EQ(open(good()).exit_code, 0);
}

// The bad_alloc of the issue: a manifest claiming 2^40 sealed bytes for a chunk, whose file is a sparse
// 1 TiB file so that the length check alone would have let the read through.
TEST_F(UntrustedSession, ManifestClaimingATebibyteChunkIsRefusedNamingTheField) {
  fs::path dir = crafted("huge-sealed", [](json& m) { m["chunks"][0]["sealed_bytes"] = kTiB; });
  fs::resize_file(chunk(dir, 0), kTiB);
  expect_refused(verify(dir), 2, "chunks[0].sealed_bytes: 1099511627776 exceeds 16842768");
  expect_refused(open(dir), 2, "chunks[0].sealed_bytes");
  expect_refused(run_bounded({"proof", dir.string(), "0"}), 2, "chunks[0].sealed_bytes");
}

TEST_F(UntrustedSession, HugeCountsAndSizesAreRefusedNamingTheField) {
  struct Case {
    const char* name;
    const char* field;
    void (*edit)(json&);
  };
  const Case cases[] = {
      {"chunk-count", "chunk_count: 1099511627776 exceeds 262144", [](json& m) { m["chunk_count"] = kTiB; }},
      {"chunk-size", "chunk_size: 1099511627776 exceeds 16777216", [](json& m) { m["chunk_size"] = kTiB; }},
      {"total-bytes", "total_bytes", [](json& m) { m["total_bytes"] = std::uint64_t{1} << 62; }},
      {"plain-bytes", "chunks[1].plain_bytes", [](json& m) { m["chunks"][1]["plain_bytes"] = kTiB; }},
      {"codec", "codec: is 100000 bytes long", [](json& m) { m["codec"] = std::string(100000, 'x'); }},
      {"participants", "participants: lists more than 256 items",
       [](json& m) {
         json node = m["participants"][0];
         m["participants"] = json::array();
         for (int i = 0; i < 1000; ++i) m["participants"].push_back(node);
       }},
      {"nesting", "nest deeper than a manifest's 3 levels",
       [](json& m) {
         m["chunks"][0]["leaf_hash"] = json::parse(std::string(100, '[') + std::string(100, ']'));
       }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    fs::path dir = crafted(c.name, c.edit);
    expect_refused(verify(dir), 2, c.field);
    expect_refused(open(dir), 2, c.field);
  }
  EXPECT_FALSE(fs::exists(dir_ / "incidents.jsonl")) << "a malformed manifest is bad input, not an incident";
}

// More chunks than a session may have: refused while the list is being read, before it is stored.
TEST_F(UntrustedSession, TooManyChunksAreRefusedBeforeTheListIsStored) {
  // Built as text: a JSON tree of 262,145 entries would stay resident in this process, and a child
  // forked from it would start with that much resident memory.
  std::string entries;
  fs::path dir = crafted("many-chunks", [&](json& m) {
    std::string entry = m["chunks"][0].dump() + ",";
    entries.reserve(entry.size() * (seal::kMaxChunkCount + 1));
    for (std::uint64_t i = 0; i <= seal::kMaxChunkCount; ++i) entries += entry;
    entries.pop_back();
    m["chunks"] = "CHUNKS";
  });
  std::string text = json::parse(std::ifstream(dir / "manifest.json")).dump();
  text.replace(text.find("\"CHUNKS\""), 8, "[" + entries + "]");
  std::ofstream(dir / "manifest.json") << text;
  ASSERT_LE(text.size(), seal::kMaxManifestBytes) << "the crafted file must pass the size bound";
  std::string().swap(text);
  std::string().swap(entries);
  // The file itself (~37 MB) is read whole; nothing per chunk is kept.
  expect_refused(verify(dir), 2, "chunks: lists more than 262144 items", 160 * 1024);
}

TEST_F(UntrustedSession, OversizedManifestFileIsRefusedWithoutReadingIt) {
  fs::path dir = copy("big-manifest");
  fs::resize_file(dir / "manifest.json", kTiB);
  expect_refused(verify(dir), 2,
                 "manifest.json: is 1099511627776 bytes, more than the format allows (51380224");
}

// A named pipe has no writer: opening it without O_NONBLOCK would wait forever.
TEST_F(UntrustedSession, FifoChunkFileAndManifestAreRefusedWithoutHanging) {
  fs::path dir = copy("fifo-chunk");
  fs::remove(chunk(dir, 1));
  ASSERT_EQ(::mkfifo(chunk(dir, 1).c_str(), 0600), 0);
  Bounded v = verify(dir);
  EXPECT_EQ(v.exit_code, 1) << describe(v);
  EXPECT_FALSE(v.timed_out);
  EXPECT_LT(v.seconds, 5.0) << describe(v);
  EXPECT_NE(v.err.find("FAIL chunk 1: " + chunk(dir, 1).string() + ": is a named pipe, not a regular file"),
            std::string::npos)
      << describe(v);
  Bounded o = open(dir);
  EXPECT_EQ(o.exit_code, 3) << describe(o);
  EXPECT_LT(o.seconds, 5.0) << describe(o);
  EXPECT_NE(o.err.find("chunk 1: " + chunk(dir, 1).string() + ": is a named pipe"), std::string::npos)
      << describe(o);
  EXPECT_FALSE(fs::exists(dir_ / "out-fifo-chunk")) << "no output is left behind";
  // verify-proof --leaf reads a chunk file the same way.
  expect_refused(run_bounded({"verify-proof", "--root", std::string(64, '0'), "--leaf",
                              chunk(dir, 1).string(), (dir_ / "in").string()}),
                 2, "is a named pipe");

  fs::path m = copy("fifo-manifest");
  fs::remove(m / "manifest.json");
  ASSERT_EQ(::mkfifo((m / "manifest.json").c_str(), 0600), 0);
  expect_refused(verify(m), 2, (m / "manifest.json").string() + ": is a named pipe, not a regular file");
  expect_refused(open(m), 2, "manifest.json: is a named pipe");
}

TEST_F(UntrustedSession, SymlinkedChunkFileChunksDirAndManifestAreRefused) {
  // The link points at the very bytes that belong there: refused all the same.
  fs::path dir = copy("link-chunk");
  fs::rename(chunk(dir, 0), dir / "elsewhere");
  fs::create_symlink("../elsewhere", chunk(dir, 0));
  Bounded v = verify(dir);
  EXPECT_EQ(v.exit_code, 1) << describe(v);
  EXPECT_NE(
      v.err.find("FAIL chunk 0: " + chunk(dir, 0).string() + ": is a symbolic link, not a regular file"),
      std::string::npos)
      << describe(v);
  Bounded o = open(dir);
  EXPECT_EQ(o.exit_code, 3) << describe(o);
  EXPECT_NE(o.err.find("is a symbolic link"), std::string::npos) << describe(o);

  fs::path chunks = copy("link-chunks-dir");
  fs::rename(chunks / "chunks", chunks / "real-chunks");
  fs::create_symlink("real-chunks", chunks / "chunks");
  v = verify(chunks);
  EXPECT_EQ(v.exit_code, 1) << describe(v);
  EXPECT_NE(v.err.find((chunks / "chunks").string() + ": is a symbolic link, not a directory"),
            std::string::npos)
      << describe(v);

  fs::path m = copy("link-manifest");
  fs::rename(m / "manifest.json", m / "real.json");
  fs::create_symlink("real.json", m / "manifest.json");
  expect_refused(verify(m), 2, (m / "manifest.json").string() + ": is a symbolic link, not a regular file");
  expect_refused(open(m), 2, "manifest.json: is a symbolic link");
  expect_refused(run_bounded({"proof", m.string(), "0"}), 2, "manifest.json: is a symbolic link");
}

TEST_F(UntrustedSession, VerifyWithoutNodePubSaysTheSignerIsNotPinned) {
  Bounded v = run_bounded({"verify", good().string()});
  expect_refused(v, 1, "the signer is not pinned");
  EXPECT_NE(v.err.find("--node-pub FILE"), std::string::npos) << describe(v);
  EXPECT_NE(v.err.find("--any-signer"), std::string::npos) << describe(v);
  EXPECT_TRUE(v.out.empty()) << describe(v);

  Bounded j = run_bounded({"verify", good().string(), "--json"});
  EXPECT_EQ(j.exit_code, 1) << describe(j);
  json doc = json::parse(j.out);
  EXPECT_EQ(doc["ok"], false);
  EXPECT_EQ(doc["signer_pinned"], false);
  EXPECT_EQ(doc["problems"][0]["subject"], "signer");
}

TEST_F(UntrustedSession, AnySignerVerifiesAndSaysTheSignerWasNotPinned) {
  Bounded v = run_bounded({"verify", good().string(), "--any-signer"});
  EXPECT_EQ(v.exit_code, 0) << describe(v);
  EXPECT_TRUE(v.out.starts_with("OK  session ")) << describe(v);
  EXPECT_NE(v.out.find("the signer was not pinned"), std::string::npos) << describe(v);

  Bounded j = run_bounded({"verify", good().string(), "--any-signer", "--json"});
  ASSERT_EQ(j.exit_code, 0) << describe(j);
  json doc = json::parse(j.out);
  EXPECT_EQ(doc["ok"], true);
  EXPECT_EQ(doc["signer_pinned"], false);

  // Everything else is still checked: a flipped byte fails.
  fs::path dir = copy("tampered");
  auto bytes = lucid::testing::read_bytes(chunk(dir, 1));
  bytes[7] ^= 0x5a;
  lucid::testing::write_bytes(chunk(dir, 1), bytes);
  Bounded t = run_bounded({"verify", dir.string(), "--any-signer"});
  EXPECT_EQ(t.exit_code, 1) << describe(t);
  EXPECT_NE(t.err.find("FAIL chunk 1"), std::string::npos) << describe(t);

  Bounded both = run_bounded({"verify", good().string(), "--any-signer", "--node-pub", pub()});
  EXPECT_EQ(both.exit_code, 2) << describe(both);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << describe(both);
}

}  // namespace
}  // namespace lucid::e2e
