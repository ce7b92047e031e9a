// node.sample-payload-sealed: a generated recording goes into the deployed node-worker's spool the
// way a recorder hands one over (inbox/.NAME.part, 0644, rename into inbox/), node-worker seals it,
// and the sealed session is verified here with the seal library against the node's public key.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "lucid/accept/checks.h"
#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/random.h"
#include "lucid/base/subprocess.h"
#include "lucid/engine/short_lived.h"
#include "lucid/seal/keys.h"
#include "lucid/seal/spool.h"
#include "lucid/seal/verify_session.h"

namespace lucid::accept {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Half random bytes (incompressible), half repeated text (compressible), like a screen recording.
std::vector<std::uint8_t> sample_bytes(std::size_t size) {
  std::vector<std::uint8_t> b(size);
  random_bytes(std::span(b).first(size / 2));
  static constexpr std::string_view kLine = "lucid acceptance sample frame\n";
  for (std::size_t i = size / 2; i < size; ++i) b[i] = static_cast<std::uint8_t>(kLine[i % kLine.size()]);
  return b;
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string mib(std::size_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

}  // namespace

CheckResult check_sample_payload(const CheckSpec& spec, RunContext& ctx) {
  CheckResult r = result_for(spec);
  r.outcome = Outcome::kFail;
  const auto* worker = ctx.running("node-worker");
  if (!worker) {
    r.evidence = fmt::format("node-worker is {} on this site: nothing can seal the sample",
                             service_state(ctx, "node-worker"));
    return r;
  }
  const std::string volume = ctx.site.project + "_node-worker-spool";
  auto mountpoint = engine::volume_mountpoint(ctx.docker, volume);
  if (!mountpoint) {
    r.evidence = fmt::format("cannot find the spool: {}", mountpoint.error().message);
    return r;
  }
  seal::Spool spool{*mountpoint};
  r.detail["volume"] = volume;
  r.detail["spool"] = spool.root.string();

  // The node's public key, as node-worker wrote it beside its key; the session must be signed by it.
  auto pub = seal::load_public_key(spool.root / "node.key.pub");
  if (!pub) {
    r.evidence = fmt::format("cannot read the node's public key: {}", pub.error().message);
    return r;
  }
  r.detail["node_key"] = to_hex(*pub);

  std::uint8_t rnd[3];
  random_bytes(rnd);
  auto now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  const std::string name =
      fmt::format("lucid-accept-{:04}{:02}{:02}T{:02}{:02}{:02}Z-{}.bin", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, to_hex(rnd));
  r.detail["recording"] = name;
  r.detail["bytes"] = ctx.settings.sample_bytes;
  auto bytes = sample_bytes(ctx.settings.sample_bytes);
  const fs::path part = spool.inbox() / ("." + name + ".part");
  ctx.say(fmt::format("node: dropping {} ({}) into {}", name, mib(bytes.size()), spool.inbox().string()));
  {
    int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
      r.evidence =
          fmt::format("{}: cannot create: {} (accept needs write access to the spool volume: run as root)",
                      part.string(), errno_text(errno));
      return r;
    }
    auto w = write_all(fd, bytes, part.string());
    ::fchmod(fd, 0644);  // node-worker runs as its own user; umask must not hide the file from it
    ::close(fd);
    if (!w) {
      ::unlink(part.c_str());
      r.evidence = w.error().message;
      return r;
    }
  }
  const auto t0 = Clock::now();
  if (::rename(part.c_str(), (spool.inbox() / name).c_str()) != 0) {
    r.evidence = fmt::format("{}: rename into inbox/: {}", part.string(), errno_text(errno));
    ::unlink(part.c_str());
    return r;
  }

  const fs::path session = spool.session_dir(name);
  const fs::path manifest = session / "manifest.json";
  const fs::path failed = spool.failed() / name;
  std::error_code ec;
  bool sealed = false;
  while (Clock::now() - t0 < ctx.settings.seal_timeout) {
    if (fs::exists(manifest, ec)) {
      sealed = true;
      break;
    }
    if (fs::exists(failed, ec)) {
      auto why = read_text_file(failed.string() + ".error");
      r.evidence = fmt::format("node-worker refused the sample: {} (moved to {})",
                               why ? first_line(*why) : std::string("no .error file"), failed.string());
      return r;
    }
    std::this_thread::sleep_for(100ms);
  }
  const auto seal_time = Clock::now() - t0;
  if (!sealed) {
    bool still_there = fs::exists(spool.inbox() / name, ec);
    r.evidence = fmt::format("node-worker did not seal the sample within {} s ({}); see `docker logs {}`",
                             ctx.settings.seal_timeout.count() / 1000,
                             still_there ? "it is still in inbox/" : "it left inbox/ but no session appeared",
                             worker->name);
    if (still_there) fs::remove(spool.inbox() / name, ec);
    return r;
  }
  r.detail["seal_seconds"] = seconds(seal_time);
  r.detail["session"] = session.string();

  const auto t1 = Clock::now();
  auto report = seal::verify_session(session, *pub, 2);
  const auto verify_time = Clock::now() - t1;
  r.detail["verify_seconds"] = seconds(verify_time);
  if (!report) {
    r.evidence = fmt::format("the sealed session cannot be read: {}", report.error().message);
    return r;
  }
  nlohmann::ordered_json problems = nlohmann::ordered_json::array();
  for (const auto& p : report->problems) problems.push_back(p.subject + ": " + p.message);
  if (report->manifest && report->manifest->total_bytes != bytes.size())
    problems.push_back(fmt::format("manifest: total_bytes {} but {} were dropped",
                                   report->manifest->total_bytes, bytes.size()));
  r.detail["problems"] = problems;
  if (!report->ok() || !problems.empty()) {
    r.evidence =
        fmt::format("sealed in {:.2f} s but verification found {} problem(s): {}", seconds(seal_time),
                    problems.size(), problems.empty() ? "no manifest" : problems[0].get<std::string>());
    return r;
  }
  const auto& m = *report->manifest;
  r.detail["session_id"] = m.session_id;
  r.detail["chunks"] = m.chunk_count;
  r.detail["merkle_root"] = to_hex(m.merkle_root);
  r.outcome = Outcome::kPass;
  r.evidence = fmt::format(
      "{} sealed by node-worker in {:.2f} s ({} chunk(s)), verified in {:.2f} s: every leaf, the root {} and "
      "the "
      "signature of node key {}",
      mib(bytes.size()), seconds(seal_time), m.chunk_count, seconds(verify_time),
      to_hex(m.merkle_root).substr(0, 12), to_hex(*pub).substr(0, 12));
  // The sample is ours: remove its session and key once it proved the point (a failure keeps them).
  fs::remove_all(session, ec);
  fs::remove(spool.session_key(name), ec);
  r.detail["removed"] = !ec;
  return r;
}

}  // namespace lucid::accept
