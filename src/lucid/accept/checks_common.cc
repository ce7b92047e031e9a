#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lucid/accept/checks.h"
#include "lucid/base/subprocess.h"
#include "lucid/beta/labels.h"
#include "lucid/engine/labels.h"
#include "lucid/engine/short_lived.h"

namespace lucid::accept {

ProbeSettings probe_settings_of_this_program() {
  ProbeSettings settings;
  std::error_code ec;
  settings.probe_program = std::filesystem::read_symlink("/proc/self/exe", ec);
  return settings;
}

Result<ProbeImage> RunContext::probe_image() {
  if (!image_) {
    say("probe image: the one of this lucidctl binary (built locally on first use)");
    image_ = ensure_probe_image(docker, settings.probe_program, settings.probe_prefix);
  }
  return *image_;
}

const engine::ContainerState* RunContext::running(const std::string& service) const {
  for (const auto& c : containers)
    if (c.service == service && c.running()) return &c;
  return nullptr;
}

std::string service_state(const RunContext& ctx, const std::string& service) {
  if (ctx.running(service)) return "running";
  for (const auto& c : ctx.containers)
    if (c.service == service) return fmt::format("not running ({})", c.state);
  if (ctx.site.services.contains(service)) return "not started";
  return "not part of this cluster";
}

Result<ExecJson> exec_json(RunContext& ctx, const engine::ContainerState& container,
                           const std::vector<std::string>& argv, std::string_view required_key) {
  using namespace std::chrono_literals;
  auto ex = engine::exec_in(ctx.docker, container.id, argv, 30s);
  if (!ex) return std::unexpected(ex.error());
  auto document = nlohmann::json::parse(ex->output.out, nullptr, false);
  if (document.is_discarded() || !document.is_object() || !document.contains(required_key))
    return fail(
        ErrorKind::kIo,
        fmt::format("{} (exit {}) printed no {}: {}", fmt::join(argv, " "), ex->exit_code, required_key,
                    first_line(ex->output.err.empty() ? ex->output.out : ex->output.err)));
  return ExecJson{std::move(document), ex->exit_code};
}

CheckResult not_implemented(const CheckSpec& spec, const RunContext& ctx) {
  CheckResult r = result_for(spec);
  r.outcome = Outcome::kNotImplemented;
  std::vector<std::string> parts;
  nlohmann::ordered_json services = nlohmann::ordered_json::object();
  for (const auto& s : spec.services) {
    auto st = service_state(ctx, s);
    services[s] = st;
    parts.push_back(fmt::format("{} ({})", s, st));
  }
  bool all_run = std::all_of(spec.services.begin(), spec.services.end(),
                             [&](const std::string& s) { return ctx.running(s) != nullptr; });
  r.evidence =
      all_run
          ? fmt::format("no probe for this check in Lucid yet; its services run: {}", fmt::join(parts, ", "))
          : fmt::format("missing service: {}; no probe for this check in Lucid yet", fmt::join(parts, ", "));
  r.detail = {{"missing", all_run ? "probe" : "service"}, {"services", services}};
  return r;
}

CheckResult check_encode_cpu(const CheckSpec& spec, const RunContext& ctx) {
  CheckResult r = result_for(spec);
  r.outcome = Outcome::kNotImplemented;
  std::string recorder;
  for (const auto& c : ctx.containers)
    if (c.running() && c.service.find("recorder") != std::string::npos) recorder = c.service;
  if (recorder.empty()) {
    r.evidence =
        "missing service: no recorder runs on this site (no profile defines one yet), so there is no "
        "encode to measure";
    r.detail = {{"missing", "service"}, {"services", {{"recorder", "not part of this cluster"}}}};
  } else {
    r.evidence = fmt::format("recorder {} runs, but Lucid has no encode-CPU probe yet", recorder);
    r.detail = {{"missing", "probe"}, {"services", {{recorder, "running"}}}};
  }
  return r;
}

Result<std::vector<PlaneNetwork>> plane_networks(const engine::DockerClient& docker,
                                                 const std::string& project) {
  nlohmann::json filters = {
      {"label",
       nlohmann::json::array({fmt::format("{}={}", engine::kProjectLabel, project), beta::kPlaneLabel})}};
  auto list = docker.get_json("/networks?filters=" + engine::DockerClient::filters(filters));
  if (!list) return std::unexpected(list.error());
  std::vector<PlaneNetwork> out;
  for (const auto& n : *list) {
    auto labels = n.value("Labels", nlohmann::json::object());
    if (!labels.is_object()) continue;
    out.push_back({n.value("Id", ""), n.value("Name", ""), labels.value(beta::kPlaneLabel, "")});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.plane < b.plane; });
  return out;
}

std::optional<std::pair<std::string, std::string>> beta_scope_label(const RunContext& ctx) {
  const auto* beta = ctx.running("beta");
  if (!beta) return std::nullopt;
  auto j = ctx.docker.get_json("/containers/" + beta->id + "/json");
  if (!j) return std::nullopt;
  std::vector<std::string> args;
  for (const auto* key : {"Entrypoint", "Cmd"})
    if (const auto& v = (*j)["Config"][key]; v.is_array())
      for (const auto& a : v)
        if (a.is_string()) args.push_back(a.get<std::string>());
  std::string value;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--scope-label" && i + 1 < args.size()) value = args[i + 1];
    if (args[i].starts_with("--scope-label=")) value = args[i].substr(14);
  }
  if (value.empty()) return std::nullopt;
  auto eq = value.find('=');
  return std::pair{value.substr(0, eq), eq == std::string::npos ? std::string() : value.substr(eq + 1)};
}

}  // namespace lucid::accept
