#include "lucid/reconcile/git_mirror.h"

#include <charconv>
#include <chrono>
#include <system_error>

#include <fmt/format.h>

#include "lucid/base/file_lock.h"
#include "lucid/base/subprocess.h"
#include "lucid/gitsig/git_runner.h"

namespace lucid::reconcile {

namespace fs = std::filesystem;

namespace {

// `proxied`: only the mirror's own git configuration and the given `-c` options count, and nothing
// in the environment can bypass or replace the proxy (gitsig::GitConfig::kRepositoryOnly).
Result<std::string> git(const fs::path& mirror, std::vector<std::string> args,
                        std::chrono::milliseconds timeout = std::chrono::minutes(5), bool proxied = false) {
  gitsig::GitCommand command;
  command.git_dir = mirror;
  command.args = std::move(args);
  command.config = proxied ? gitsig::GitConfig::kRepositoryOnly : gitsig::GitConfig::kUser;
  command.timeout = timeout;
  auto r = gitsig::run_git(command);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) return fail(ErrorKind::kIo, fmt::format("git: {}", first_line(r->err)));
  return std::move(r->out);
}

}  // namespace

std::string tracking_ref(const std::string& cluster) {
  return "refs/lucid/tracked/" + cluster;
}
std::string applied_ref(const std::string& cluster) {
  return "refs/lucid/applied/" + cluster;
}
std::string last_good_ref(const std::string& cluster) {
  return "refs/lucid/last-good/" + cluster;
}

std::string tracked_ref(const std::string& branch) {
  if (branch.starts_with("refs/")) return branch;
  return "refs/heads/" + branch;
}

namespace {

// The git protocol `url` is fetched with: "file" (a path or file://), "ssh" (ssh://, git+ssh:// or
// scp-like host:path), else the URL's scheme ("http", "https", "git", …).
std::string transport_of(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end != std::string::npos) {
    std::string scheme = url.substr(0, scheme_end);
    return scheme == "git+ssh" ? "ssh" : scheme;
  }
  bool scp_like = url.find(':') != std::string::npos && !url.starts_with("/") && !url.starts_with(".") &&
                  url.find(':') < url.find('/');
  return scp_like ? "ssh" : "file";
}

}  // namespace

Result<std::vector<std::string>> proxy_options(const std::string& url, const std::string& proxy) {
  if (proxy.empty()) return std::vector<std::string>{};
  if (proxy.find_first_of(" '\"\\%") != std::string::npos || proxy.find(':') == std::string::npos)
    return fail(ErrorKind::kInvalidArgument, fmt::format("SOCKS proxy '{}': give host:port", proxy));
  const std::string transport = transport_of(url);
  if (transport == "file") return std::vector<std::string>{};
  if (transport == "http" || transport == "https")
    return std::vector<std::string>{"-c", "http.proxy=socks5h://" + proxy};
  if (transport == "ssh")
    return std::vector<std::string>{"-c",
                                    "core.sshCommand=ssh -o ProxyCommand='nc -X 5 -x " + proxy + " %h %p'"};
  return fail(ErrorKind::kInvalidArgument,
              fmt::format("{}: scheme '{}' cannot be fetched through the SOCKS proxy (refused, fail-closed)",
                          url, transport));
}

Result<std::string> fetch_tracked(const fs::path& mirror, const std::string& url, const std::string& ref,
                                  const std::string& socks_proxy, const std::string& into) {
  auto via = proxy_options(url, socks_proxy);
  if (!via) return std::unexpected(via.error());
  if (!into.starts_with("refs/lucid/") || into.find_first_of(": ") != std::string::npos)
    return fail(ErrorKind::kInvalidArgument, fmt::format("invalid tracking ref '{}'", into));
  // git locks each ref it updates, but two fetches into one repository at once can still fail on
  // each other's lock files: fetches into a shared mirror take turns.
  std::error_code ec;
  fs::create_directories(mirror.parent_path(), ec);
  auto lock = FileLock::take(mirror.string() + ".lock", FileLock::Wait::kYes);
  if (!lock) return std::unexpected(lock.error());
  if (!fs::exists(mirror / "HEAD")) {
    fs::create_directories(mirror, ec);
    auto r = gitsig::run_git(gitsig::GitCommand{.args = {"init", "-q", "--bare", mirror.string()}});
    if (!r) return std::unexpected(r.error());
    if (r->exit_code != 0) return fail(ErrorKind::kIo, "git init: " + first_line(r->err));
  }
  if (ref.find(':') != std::string::npos || ref.starts_with("-") || url.starts_with("-"))
    return fail(ErrorKind::kInvalidArgument, fmt::format("invalid repository or ref '{}' '{}'", url, ref));
  std::vector<std::string> args = *via;
  if (!socks_proxy.empty())  // only the transport the proxy options were chosen for: no rewrite
    args.insert(args.end(),
                {"-c", "protocol.allow=never", "-c", "protocol." + transport_of(url) + ".allow=always"});
  args.insert(args.end(), {"-c", "maintenance.auto=false", "-c", "gc.auto=0", "fetch", "-q", "--no-tags",
                           "--no-write-fetch-head", "--force", "--", url, "+" + ref + ":" + into});
  if (auto f = git(mirror, args, std::chrono::minutes(5), !socks_proxy.empty()); !f)
    return std::unexpected(with_context(url, f.error()));
  auto id = git(mirror, {"rev-parse", "--verify", into + "^{commit}"});
  if (!id) return std::unexpected(id.error());
  while (!id->empty() && (id->back() == '\n' || id->back() == '\r')) id->pop_back();
  return *id;
}

Status keep_ref(const fs::path& mirror, const std::string& ref, const std::string& commit) {
  if (!ref.starts_with("refs/lucid/") || commit.empty() || commit.starts_with("-"))
    return fail(ErrorKind::kInvalidArgument, fmt::format("invalid ref update '{}' → '{}'", ref, commit));
  auto r = git(mirror, {"update-ref", ref, commit});
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<std::int64_t> commit_time(const fs::path& mirror, const std::string& commit) {
  if (commit.starts_with("-")) return fail(ErrorKind::kInvalidArgument, "invalid commit '" + commit + "'");
  auto out = git(mirror, {"show", "-s", "--format=%ct", commit + "^{commit}"});
  if (!out) return std::unexpected(out.error());
  std::int64_t t = 0;
  const char* end = out->data() + out->size();
  while (end > out->data() && (end[-1] == '\n' || end[-1] == '\r')) --end;
  auto [p, ec] = std::from_chars(out->data(), end, t);
  if (ec != std::errc() || p != end || p == out->data())
    return fail(ErrorKind::kIo, fmt::format("git show {}: unexpected committer time '{}'", commit, *out));
  return t;
}

Status export_commit(const fs::path& mirror, const std::string& commit, const fs::path& dir) {
  auto tar = git(mirror, {"archive", "--format=tar", commit});
  if (!tar) return std::unexpected(tar.error());
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(ErrorKind::kIo, fmt::format("{}: {}", dir.string(), ec.message()));
  ProcessOptions o;
  o.argv = {"tar", "-x", "-f", "-", "-C", dir.string()};
  o.stdin_bytes = std::move(*tar);
  auto r = run_process(o);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) return fail(ErrorKind::kIo, "tar -x: " + first_line(r->err));
  return {};
}

}  // namespace lucid::reconcile
