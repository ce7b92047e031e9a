// `lucidctl build --stage N [--push HOST:PORT --key FILE] [--repo REPO]`: builds a stage's images
// (docker/images.yaml) with the Docker engine, pushes, attests SBOMs (signed), signs, and pins digests into
// the config repo's compose file as a reviewable diff (lucid::build). Progress on stderr; --json summary.
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "lucid/base/time.h"
#include "lucid/build/build_stage.h"
#include "lucid/version.h"

namespace lucidctl {
namespace {

namespace fs = std::filesystem;

struct BuildArgs {
  int stage = -1;
  std::string push, repo, key, images = "docker/images.yaml", bin_dir,
                               registry_name = "registry.lucid.local:5000";
  std::string local_prefix = "lucid";
  bool json = false;
};

fs::path own_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path(".") : exe.parent_path();
}

std::string strip_scheme(std::string s) {
  for (const char* p : {"http://", "https://"})
    if (s.starts_with(p)) s = s.substr(std::string_view(p).size());
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

int run_build(const BuildArgs& a) {
  auto specs = lucid::build::load_image_specs(a.images);
  if (!specs) {
    fmt::print(stderr, "lucidctl build: {}\n", specs.error().message);
    return 2;
  }
  lucid::build::BuildOptions o;
  o.stage = a.stage;
  o.specs = std::move(*specs);
  o.bin_dir = a.bin_dir.empty() ? own_dir() : fs::path(a.bin_dir);
  o.version = lucid::kLucidVersion;
  o.local_prefix = a.local_prefix;
  o.registry_name = a.registry_name;
  o.created = lucid::utc_now_rfc3339();
  if (!a.push.empty()) o.push = strip_scheme(a.push);
  if (!a.key.empty()) o.key = a.key;
  if (!a.repo.empty()) o.repo = a.repo;
  char tmpl[] = "/tmp/lucid-build-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    fmt::print(stderr, "lucidctl build: cannot create a scratch directory in /tmp\n");
    return 2;
  }
  o.work_dir = tmpl;
  o.progress = [](const std::string& line) { fmt::print(stderr, "build: {}\n", line); };
  auto t0 = std::chrono::steady_clock::now();
  auto report = lucid::build::build_stage(o);
  std::error_code ec;
  fs::remove_all(o.work_dir, ec);
  if (!report) {
    fmt::print(stderr, "lucidctl build: {}\n", report.error().message);
    return report.error().kind == lucid::ErrorKind::kInvalidArgument ? 2 : 1;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (a.json) {
    nlohmann::ordered_json j;
    j["stage"] = a.stage;
    j["version"] = o.version;
    j["seconds"] = secs;
    j["images"] = nlohmann::json::array();
    for (const auto& i : report->images) {
      nlohmann::ordered_json e;
      e["name"] = i.name;
      e["local_tag"] = i.local_tag;
      e["image_id"] = i.image_id;
      e["pushed"] = i.pushed;
      e["digest"] = i.digest;
      e["sbom_digest"] = i.sbom_digest;
      e["signature_digest"] = i.signature_digest;
      e["files"] = i.files;
      e["sbom_packages"] = i.sbom_packages;
      e["unowned_files"] = i.unowned_files;
      j["images"].push_back(e);
    }
    j["compose_file"] = report->compose_file;
    j["diff"] = report->diff;
    j["notes"] = report->notes;
    fmt::print("{}\n", j.dump());
    return 0;
  }
  for (const auto& i : report->images) {
    if (i.digest.empty())
      fmt::print("{}  {}  (built locally, not pushed)\n", i.name, i.local_tag);
    else
      fmt::print("{}  {}@{}  SBOM attested ({} packages), signed\n", i.name, i.pushed, i.digest,
                 i.sbom_packages);
  }
  for (const auto& n : report->notes) fmt::print("note: {}\n", n);
  if (!report->diff.empty())
    fmt::print("\n{}", report->diff);
  else if (!report->compose_file.empty())
    fmt::print("{}: already pinned to these digests\n", report->compose_file);
  fmt::print("stage {}: {} image(s) in {:.1f} s\n", a.stage, report->images.size(), secs);
  return 0;
}

}  // namespace

void register_build(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<BuildArgs>();
  auto* cmd = app.add_subcommand(
      "build", "Build a stage's images; push, SBOM, sign and pin them (docker/images.yaml)");
  cmd->add_option("--stage", a->stage, "SPEC-4 build stage 0..6")->required()->check(CLI::Range(0, 6));
  cmd->add_option("--push", a->push, "Registry mirror as docker push addresses it (127.0.0.1:5000)");
  cmd->add_option("--key", a->key,
                  "Signing key file (ECDSA P-256 PEM from `lucidctl keys gen`); needed with --push");
  cmd->add_option("--repo", a->repo, "Config repo: pin the pushed digests into its compose file");
  cmd->add_option("--images", a->images, "Image list (default docker/images.yaml)");
  cmd->add_option("--bin-dir", a->bin_dir,
                  "Where the Lucid binaries are (default: lucidctl's own directory)");
  cmd->add_option("--registry-name", a->registry_name,
                  "Canonical registry name images are known by (signatures' docker-reference)")
      ->default_str("registry.lucid.local:5000");
  cmd->add_option("--local-prefix", a->local_prefix, "Local image names: <prefix>/<name>:<version>")
      ->default_str("lucid");
  cmd->add_flag("--json", a->json, "Print a JSON summary on stdout");
  cmd->footer(
      "The compose file names images under their canonical registry (registry.lucid.local:5000); the\n"
      "mirror given to --push serves the same repositories (lucid/<name>). Pins keep the compose line's\n"
      "registry and write <repository>:<version>@<digest>. Exit: 0 built, 1 a step failed, 2 usage.");
  cmd->callback([a, &ctx] { ctx.exit_code = run_build(*a); });
}

}  // namespace lucidctl
