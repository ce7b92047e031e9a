// SBOM × advisory matching: 1,000 Debian packages against 1k, 10k and 100k synthetic OSV advisories
// (Debian:12 ECOSYSTEM ranges over 25k package names), and the index build. Shows how matching grows.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "lucid/sbom/advisory_match.h"

namespace {

using namespace lucid::sbom;

std::vector<OsvAdvisory> synthetic_advisories(int n) {
  std::vector<OsvAdvisory> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    OsvAdvisory a;
    a.id = "DEBIAN-CVE-2026-" + std::to_string(i);
    OsvAffected af;
    af.ecosystem = "Debian:12";
    af.name = "pkg" + std::to_string(i % 25000);
    af.ranges.push_back(
        {"ECOSYSTEM",
         {{OsvEvent::Kind::kIntroduced, "0"},
          {OsvEvent::Kind::kFixed, "1." + std::to_string(i % 9) + "-" + std::to_string(1 + i % 3) +
                                       "+deb12u" + std::to_string(i % 11)}}});
    a.affected.push_back(std::move(af));
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<SbomPackage> synthetic_packages(int n) {
  std::vector<SbomPackage> out;
  for (int i = 0; i < n; ++i) {
    std::string name = "pkg" + std::to_string(i * 25);  // every package has advisories at 100k
    std::string version = "1." + std::to_string(i % 9) + "-2+deb12u" + std::to_string(i % 13);
    out.push_back({"SPDXRef-" + name, name, version,
                   "pkg:deb/debian/" + name + "@" + version + "?arch=amd64&distro=debian-12"});
  }
  return out;
}

void BM_MatchPackagesAgainstAdvisories(benchmark::State& state) {
  AdvisoryIndex index(synthetic_advisories(static_cast<int>(state.range(0))));
  auto packages = synthetic_packages(1000);
  std::size_t matches = 0;
  for (auto _ : state) {
    auto m = index.match(packages);
    matches = m.size();
    benchmark::DoNotOptimize(m);
  }
  state.counters["advisories"] = static_cast<double>(state.range(0));
  state.counters["matches"] = static_cast<double>(matches);
  state.counters["packages/s"] = benchmark::Counter(1000.0 * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MatchPackagesAgainstAdvisories)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);

void BM_BuildAdvisoryIndex(benchmark::State& state) {
  auto advisories = synthetic_advisories(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    AdvisoryIndex index(advisories);
    benchmark::DoNotOptimize(index);
  }
  state.counters["advisories"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_BuildAdvisoryIndex)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
