// Per-stage costs of the sealing path on one core, to see where seal's time goes:
// BLAKE3 leaf hashing, XChaCha20-Poly1305, Zstd level 3, and the whole chunk codec.
//   build/release/bin/seal_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <zstd.h>

#include <random>

#include "lucid/crypto/aead.h"
#include "lucid/crypto/merkle.h"
#include "lucid/seal/chunk_codec.h"

namespace {
using namespace lucid;

std::vector<std::uint8_t> random_data(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  std::mt19937_64 rng(42);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

std::vector<std::uint8_t> text_data(std::size_t n) {
  static const char* words[] = {"session ", "chunk ", "sealed ",     "node ",
                                "onion ",   "plane ", "level=info ", "\n"};
  std::vector<std::uint8_t> v;
  std::mt19937_64 rng(7);
  while (v.size() < n) {
    const char* w = words[rng() % 8];
    v.insert(v.end(), w, w + std::char_traits<char>::length(w));
  }
  v.resize(n);
  return v;
}

constexpr std::size_t kChunk = 8 << 20;

void BM_Blake3Leaf(benchmark::State& state) {
  auto data = random_data(kChunk);
  for (auto _ : state) benchmark::DoNotOptimize(crypto::merkle_leaf_hash(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_Blake3Leaf);

void BM_XChaCha20Poly1305(benchmark::State& state) {
  auto data = random_data(kChunk);
  std::array<std::uint8_t, 32> key{};
  std::array<std::uint8_t, 24> nonce{};
  std::vector<std::uint8_t> out;
  for (auto _ : state) crypto::xchacha20poly1305_seal(key, nonce, {}, data, out);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_XChaCha20Poly1305);

void BM_Zstd3(benchmark::State& state, std::vector<std::uint8_t> (*make)(std::size_t)) {
  auto data = make(kChunk);
  std::vector<std::uint8_t> out(ZSTD_compressBound(data.size()));
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  for (auto _ : state)
    benchmark::DoNotOptimize(ZSTD_compressCCtx(cctx, out.data(), out.size(), data.data(), data.size(), 3));
  ZSTD_freeCCtx(cctx);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK_CAPTURE(BM_Zstd3, random, random_data);
BENCHMARK_CAPTURE(BM_Zstd3, text, text_data);

void BM_SealChunk(benchmark::State& state, std::vector<std::uint8_t> (*make)(std::size_t)) {
  auto data = make(kChunk);
  seal::ChunkCodec codec;
  seal::SessionKey key;
  seal::SessionId id{};
  std::vector<std::uint8_t> sealed;
  for (auto _ : state) {
    codec.seal(key, id, {0, true}, data, sealed);
    benchmark::DoNotOptimize(crypto::merkle_leaf_hash(sealed));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK_CAPTURE(BM_SealChunk, random, random_data);
BENCHMARK_CAPTURE(BM_SealChunk, text, text_data);

}  // namespace
