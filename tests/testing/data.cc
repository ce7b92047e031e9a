#include "testing/data.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace lucid::testing {
namespace {
std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}
constexpr std::uint64_t kBlock = 1 << 20;

// Writes `n` bytes produced by `next_block` (which appends at least one byte per call) to `path`.
template <typename NextBlock>
void write_stream(const std::filesystem::path& path, std::uint64_t n, NextBlock next_block) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  std::string buf;
  while (n > 0) {
    buf.clear();
    next_block(buf);
    std::uint64_t take = std::min<std::uint64_t>(n, buf.size());
    f.write(buf.data(), static_cast<std::streamsize>(take));
    n -= take;
  }
  if (!f.good()) throw std::runtime_error("cannot write " + path.string());
}

void append_random(Prng& g, std::string& out, std::size_t n) {
  std::size_t start = out.size();
  out.resize(start + n);
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t v = g.next();
    for (std::size_t b = 0; b < 8 && i + b < n; ++b) out[start + i + b] = static_cast<char>(v >> (8 * b));
  }
}
}  // namespace

Prng::Prng(std::uint64_t seed) {
  for (auto& w : s_) {
    seed += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    w = z ^ (z >> 31);
  }
}

std::uint64_t Prng::next() {
  std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

void LogText::fill(std::string& out, std::size_t size) {
  static const char* const kLevels[] = {"INFO", "DEBUG", "WARN", "ERROR"};
  static const char* const kComponents[] = {"node-worker", "ingest", "scheduler", "storage", "rtmp"};
  static const char* const kMessages[] = {
      "chunk sealed",        "segment received from camera",     "retrying upload",
      "queue depth changed", "keyframe interval drift detected", "session heartbeat"};
  using ull = unsigned long long;
  char line[256];
  while (out.size() < size) {
    ms_ += rng_.next() % 50;
    std::uint64_t r = rng_.next();
    int len = std::snprintf(
        line, sizeof line,
        "2026-11-26T%02llu:%02llu:%02llu.%03lluZ %-5s %s[%llu]: %s id=%llu bytes=%llu took=%llums\n",
        static_cast<ull>((ms_ / 3600000) % 24), static_cast<ull>((ms_ / 60000) % 60),
        static_cast<ull>((ms_ / 1000) % 60), static_cast<ull>(ms_ % 1000), kLevels[r % 4],
        kComponents[(r >> 8) % 5], static_cast<ull>(1000 + (r >> 16) % 8), kMessages[(r >> 24) % 6],
        static_cast<ull>((r >> 32) % 100000), static_cast<ull>((r >> 20) % 16777216),
        static_cast<ull>((r >> 40) % 500));
    out.append(line, static_cast<std::size_t>(len));
  }
}

std::vector<std::uint8_t> random_data(std::size_t n, std::uint64_t seed) {
  Prng g(seed);
  std::string s;
  append_random(g, s, n);
  return {s.begin(), s.end()};
}

std::vector<std::uint8_t> log_text(std::size_t n, std::uint64_t seed) {
  LogText gen(seed);
  std::string s;
  gen.fill(s, n);
  s.resize(n);
  return {s.begin(), s.end()};
}

void write_random_file(const std::filesystem::path& path, std::uint64_t n, std::uint64_t seed) {
  Prng g(seed);
  write_stream(path, n, [&](std::string& buf) { append_random(g, buf, kBlock); });
}

void write_log_text_file(const std::filesystem::path& path, std::uint64_t n, std::uint64_t seed) {
  LogText gen(seed);
  write_stream(path, n, [&](std::string& buf) { gen.fill(buf, kBlock); });
}

}  // namespace lucid::testing
