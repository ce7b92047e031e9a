// Reproducible test data: incompressible pseudo-random bytes and log-like text that compresses
// the way service logs do. Same seed, same bytes, on every machine.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lucid::testing {

// xoshiro256** seeded by splitmix64: fast, reproducible, and incompressible to Zstd.
class Prng {
 public:
  explicit Prng(std::uint64_t seed);
  std::uint64_t next();

 private:
  std::uint64_t s_[4];
};

// Log lines (timestamp, level, component, message, numbers), continued across calls.
class LogText {
 public:
  explicit LogText(std::uint64_t seed) : rng_(seed) {}
  // Appends whole lines to `out` until it holds at least `size` bytes.
  void fill(std::string& out, std::size_t size);

 private:
  Prng rng_;
  std::uint64_t ms_ = 1764172800000ULL;
};

std::vector<std::uint8_t> random_data(std::size_t n, std::uint64_t seed);
std::vector<std::uint8_t> log_text(std::size_t n, std::uint64_t seed);

// The same content as random_data / log_text, streamed to a file in 1 MiB blocks; throws on failure.
void write_random_file(const std::filesystem::path& path, std::uint64_t n, std::uint64_t seed);
void write_log_text_file(const std::filesystem::path& path, std::uint64_t n, std::uint64_t seed);

}  // namespace lucid::testing
