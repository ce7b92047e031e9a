// `lucidctl gate [REPO]`: the CI policy gate of SPEC-4 Stage 0 — lint, secrets check, the signature of
// HEAD, and verify --cluster for every cluster — one report and one exit code (what `.ci/run` calls).
#include <algorithm>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cmd_verify.h"
#include "command.h"
#include "lucid/base/files.h"
#include "lucid/fleet/model.h"
#include "lucid/gitsig/verify_commit.h"
#include "lucid/imagepolicy/verify_images.h"
#include "lucid/lint/lint.h"
#include "lucid/sops/sops_file.h"
#include "lucid/sops/sops_keys.h"

namespace lucidctl {
namespace {

namespace fs = std::filesystem;
namespace gitsig = lucid::gitsig;
namespace imagepolicy = lucid::imagepolicy;
namespace oci = lucid::oci;
namespace sops = lucid::sops;

struct GateArgs {
  std::string repo = ".";
  std::string registry, identity, rev = "HEAD";
  std::optional<std::string> allowed_signers, trusted_commit;
  bool json = false;
};

struct Step {
  std::string name;
  bool ok = true;
  std::vector<std::string> lines;  // problems (and notes)
  nlohmann::ordered_json detail;
};

Step step_lint(const GateArgs& a) {
  Step s;
  s.name = "lint";
  auto findings = lucid::lint::lint_repo(a.repo);
  s.ok = !lucid::fleet::has_errors(findings);
  s.detail = nlohmann::json::array();
  for (const auto& f : findings) {
    if (f.severity != lucid::fleet::Severity::kInfo) s.lines.push_back(lucid::fleet::to_text(f));
    s.detail.push_back(nlohmann::ordered_json::parse(lucid::fleet::to_json(f).dump()));
  }
  return s;
}

Step step_secrets(const GateArgs& a) {
  Step s;
  s.name = "secrets";
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(a.repo) / "secrets", ec))
    if (e.is_regular_file() && e.path().filename().string().ends_with(".enc.yaml")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  auto ids =
      sops::sops_load_identities(a.identity.empty() ? std::nullopt : std::optional<fs::path>(a.identity));
  if (!ids) {
    s.ok = false;
    s.lines.push_back(ids.error().message);
    return s;
  }
  for (const auto& f : files) {
    std::string name = "secrets/" + f.filename().string();
    auto text = lucid::read_text_file(f);
    lucid::Status st;
    if (!text) st = lucid::fail(lucid::ErrorKind::kIo, name + ": cannot be read");
    auto parsed =
        text ? sops::sops_parse(*text, sops::SopsFormat::kYaml, name) : lucid::Result<sops::SopsFile>();
    if (st && !parsed) st = std::unexpected(parsed.error());
    if (st) st = sops::sops_check(*parsed, name);
    if (st && *ids) {
      auto plain = sops::sops_decrypt(*parsed, **ids, name);
      if (!plain) st = std::unexpected(plain.error());
    }
    if (!st) {
      s.ok = false;
      s.lines.push_back(st.error().message);
    }
  }
  s.detail = {{"files", files.size()}, {"macs_verified", ids->has_value()}};
  if (!*ids)
    s.lines.push_back(
        "note: no age identity; MACs not verified (AGE_PRIVATE_KEY, SOPS_AGE_KEY_FILE, --identity)");
  return s;
}

Step step_commit(const GateArgs& a) {
  Step s;
  s.name = "commit";
  if (a.allowed_signers.has_value() == a.trusted_commit.has_value()) {
    s.ok = false;
    s.lines.push_back(
        "give exactly one of --allowed-signers FILE and --trusted-commit C: the gate fails closed");
    return s;
  }
  auto v = gitsig::verify_commit(a.repo, a.rev, gitsig::TrustRoot{a.allowed_signers, a.trusted_commit});
  if (!v) {
    s.ok = false;
    s.lines.push_back(v.error().message);
    return s;
  }
  s.ok = v->accepted();
  s.detail = {{"commit", v->commit}, {"accepted", v->accepted()}, {"reason", v->reason}};
  s.lines.push_back(v->accepted() ? fmt::format("commit {} signed by {}", v->commit, v->principals)
                                  : fmt::format("commit {}: refused: {}", v->commit, v->reason));
  return s;
}

Step step_verify(const GateArgs& a, const std::string& url) {
  Step s;
  s.name = "verify";
  s.detail = nlohmann::json::array();
  if (url.empty()) {
    s.ok = false;
    s.lines.push_back("no registry mirror: give --registry URL or set LUCID_REGISTRY");
    return s;
  }
  auto policy = imagepolicy::load_image_policy(a.repo);
  if (!policy) {
    s.ok = false;
    s.lines.push_back(policy.error().message);
    return s;
  }
  auto model = lucid::fleet::load_model(a.repo);
  oci::RegistryClient client(url);
  for (const auto& c : model.clusters) {
    auto v = imagepolicy::verify_cluster_images(a.repo, c.id.value, client, *policy);
    if (!v) {
      s.ok = false;
      s.lines.push_back(fmt::format("cluster {}: {}", c.id.value, v.error().message));
      continue;
    }
    s.detail.push_back(lucid::imagepolicy::to_json(*v));
    std::size_t refused = 0;
    for (const auto& i : v->images) {
      refused += i.ok() ? 0 : 1;
      for (const auto& f : i.findings)
        if (f.level == imagepolicy::ImageFinding::Level::kError)
          s.lines.push_back(fmt::format("{}: {}", c.id.value, f.message));
    }
    if (!v->ok()) s.ok = false;
    s.lines.push_back(
        fmt::format("cluster {}: {} image(s), {} refused", c.id.value, v->images.size(), refused));
  }
  return s;
}

int run_gate(const GateArgs& a) {
  std::error_code ec;
  if (!fs::is_directory(a.repo, ec)) {
    fmt::print(stderr, "lucidctl gate: {} is not a directory\n", a.repo);
    return 2;
  }
  std::vector<Step> steps;
  steps.push_back(step_lint(a));
  steps.push_back(step_secrets(a));
  steps.push_back(step_commit(a));
  steps.push_back(step_verify(a, registry_url(a.registry)));
  bool ok = std::all_of(steps.begin(), steps.end(), [](const Step& s) { return s.ok; });
  if (a.json) {
    nlohmann::ordered_json j;
    j["repo"] = a.repo;
    j["ok"] = ok;
    j["steps"] = nlohmann::json::array();
    for (const auto& s : steps)
      j["steps"].push_back({{"step", s.name}, {"ok", s.ok}, {"messages", s.lines}, {"detail", s.detail}});
    fmt::print("{}\n", j.dump());
  } else {
    for (const auto& s : steps) {
      fmt::print("{} {}\n", s.ok ? "PASS" : "FAIL", s.name);
      for (const auto& l : s.lines) fmt::print("     {}\n", l);
    }
    fmt::print("gate: {}\n", ok ? "passed" : "FAILED");
  }
  return ok ? 0 : 1;
}

}  // namespace

void register_gate(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<GateArgs>();
  auto* cmd = app.add_subcommand(
      "gate", "CI policy gate: lint, secrets check, commit signature, verify every cluster");
  cmd->add_option("repo", a->repo, "Config repo (default .)");
  cmd->add_option("--registry", a->registry, "Registry mirror URL (default $LUCID_REGISTRY)");
  cmd->add_option("--identity", a->identity, "age identity file for the secrets MAC check");
  cmd->add_option("--rev", a->rev, "Commit whose signature is checked (default HEAD)");
  auto* file =
      cmd->add_option("--allowed-signers", a->allowed_signers, "The operator's allowed_signers file");
  auto* trusted = cmd->add_option("--trusted-commit", a->trusted_commit,
                                  "A commit already trusted: its policies/allowed_signers decides");
  file->excludes(trusted);
  cmd->add_flag("--json", a->json, "Print the report as one JSON object");
  cmd->footer("Every step runs; the gate passes only when all do. Exit: 0 passed, 1 failed, 2 usage.");
  cmd->callback([a, &ctx] { ctx.exit_code = run_gate(*a); });
}

}  // namespace lucidctl
