#include "lucid/engine/compose_apply.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "lucid/base/subprocess.h"
#include "lucid/base/temp_dir.h"

namespace lucid::engine {
namespace {

using Clock = std::chrono::steady_clock;

// Compose's error from its stderr without progress noise: the "ERROR: …" lines (v1 names the
// service there: "ERROR: for web  Container … is unhealthy."), else the last non-empty line.
std::string compose_error(const std::string& text) {
  std::vector<std::string> errors;
  std::string last;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos) last = line;
    if (line.starts_with("ERROR: ") || line.starts_with("Error response from daemon: "))
      if (std::find(errors.begin(), errors.end(), line) == errors.end()) errors.push_back(line);
    start = end + 1;
  }
  if (errors.empty()) return last.empty() ? "(no output)" : last;
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : "; ") + e;
  return out.size() > 600 ? out.substr(0, 600) + "…" : out;
}

Result<ProcessResult> run_compose(const ComposeTool& tool, const std::vector<std::string>& args,
                                  const std::optional<std::string>& stdin_bytes, const ApplyOptions& o) {
  std::optional<PrivateTempDir> scratch;
  if (!o.work_dir) {
    auto made = PrivateTempDir::create("lucid-compose-");
    if (!made) return std::unexpected(made.error());
    scratch.emplace(std::move(*made));
  }
  ProcessOptions p;
  p.argv = tool.argv;
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  p.stdin_bytes = stdin_bytes;
  p.cwd = o.work_dir ? *o.work_dir : scratch->path();
  p.timeout = o.timeout;
  return run_process(p);
}

}  // namespace

Result<ComposeTool> find_compose() {
  static std::mutex mu;
  static std::optional<Result<ComposeTool>> cached;
  std::lock_guard lock(mu);
  if (cached) return *cached;
  for (std::vector<std::string> argv :
       {std::vector<std::string>{"docker", "compose"}, std::vector<std::string>{"docker-compose"}}) {
    ProcessOptions p;
    p.argv = argv;
    p.argv.push_back("version");
    p.timeout = std::chrono::seconds(20);
    auto r = run_process(p);
    if (r && r->exit_code == 0) {
      cached = ComposeTool{argv, first_line(r->out)};
      return *cached;
    }
  }
  cached = fail(ErrorKind::kNotFound, "neither `docker compose` nor `docker-compose` is installed");
  return *cached;
}

Result<ApplyResult> apply(const std::string& compose_yaml, const std::string& project,
                          const ApplyOptions& options) {
  auto tool = find_compose();
  if (!tool) return std::unexpected(tool.error());
  std::vector<std::string> args{"-p", project, "-f", "-", "up", "-d"};
  if (options.remove_orphans) args.push_back("--remove-orphans");
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  auto start = Clock::now();
  auto r = run_compose(*tool, args, compose_yaml, options);
  if (!r) return fail(r.error().kind, fmt::format("compose up {}: {}", project, r.error().message));
  if (r->exit_code != 0)
    return fail(ErrorKind::kIo,
                fmt::format("compose up {} exited {}: {}", project, r->exit_code, compose_error(r->err)));
  ApplyResult out;
  out.tool = tool->version;
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  out.log = std::move(r->err);
  return out;
}

Status down(const std::string& project, const ApplyOptions& options) {
  auto tool = find_compose();
  if (!tool) return std::unexpected(tool.error());
  // `down` needs a project file; an empty services map names nothing but lets orphans go.
  auto r =
      run_compose(*tool, {"-p", project, "-f", "-", "down", "--remove-orphans"}, "services: {}\n", options);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0)
    return fail(ErrorKind::kIo,
                fmt::format("compose down {} exited {}: {}", project, r->exit_code, compose_error(r->err)));
  return {};
}

}  // namespace lucid::engine
