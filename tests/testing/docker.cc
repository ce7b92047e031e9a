#include "testing/docker.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "lucid/base/labels.h"

namespace lucid::testing {
namespace {

using namespace std::chrono_literals;

bool docker_answers() {
  return run({"docker", "version", "--format", "{{.Server.Version}}"}).exit_code == 0;
}

}  // namespace

RunResult docker(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"docker"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit,
                std::chrono::milliseconds step) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(step);
  }
  return pred();
}

std::string ensure_docker() {
  if (!have_program("docker")) return "docker CLI not installed (run scripts/bootstrap)";
  if (docker_answers()) return {};
  if (!have_program("dockerd")) return "dockerd not installed (run scripts/bootstrap)";
  if (::geteuid() != 0) return "the Docker engine does not answer (scripts/bootstrap starts it; needs root)";
  // Start the engine in the background, logs to a temp file; wait for it via the CLI.
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    int fd = ::open("/tmp/lucid-dockerd.log", O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execlp("dockerd", "dockerd", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (!wait_until(docker_answers, 60s, 500ms))
    return "started dockerd but it did not answer within 60 s (/tmp/lucid-dockerd.log; see "
           "scripts/bootstrap)";
  return {};
}

std::string build_busybox_image(const std::string& tag,
                                const std::map<std::filesystem::path, std::string>& files,
                                const std::string& extra) {
  if (!std::filesystem::exists("/bin/busybox"))
    return "/bin/busybox missing (apt-get install busybox-static)";
  ScratchDir ctx;
  std::filesystem::copy_file("/bin/busybox", ctx / "busybox");
  std::string dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\n";
  int n = 0;
  for (const auto& [src, dst] : files) {
    std::string name = "file" + std::to_string(n++);
    std::filesystem::copy_file(src, ctx / name);
    dockerfile += "COPY " + name + " " + dst + "\n";
  }
  dockerfile += "ENTRYPOINT [\"/bin/busybox\"]\nCMD [\"sleep\", \"3600\"]\n" + extra;
  std::ofstream(ctx / "Dockerfile") << dockerfile;
  auto r = run({"env", "DOCKER_BUILDKIT=0", "docker", "build", "-q", "-t", tag, ctx.path().string()});
  if (r.exit_code != 0) return "docker build failed: " + r.err;
  return {};
}

void remove_project_containers(const std::string& project) {
  // `docker … -q` prints one id per line: run `command` on all of them at once.
  auto remove_listed = [](const RunResult& listed, std::vector<std::string> command) {
    const std::size_t fixed = command.size();
    std::istringstream in(listed.out);
    for (std::string id; std::getline(in, id);)
      if (!id.empty()) command.push_back(id);
    if (command.size() > fixed) docker(command);
  };
  const std::string label = "label=com.docker.compose.project=" + project;
  remove_listed(docker({"ps", "-aq", "--filter", label}), {"rm", "-f"});
  // Acceptance probes of the project that a killed run left (some carry no project label).
  remove_listed(
      docker({"ps", "-aq", "--filter", std::string("label=") + kAcceptProjectLabel + "=" + project}),
      {"rm", "-f"});
  // Every network of the project, not only `_default`: `compose down` with an empty services map
  // (engine::down) removes none of the named plane networks, and each one left behind holds one of
  // the engine's 31 default address pools until later suites cannot create theirs.
  remove_listed(docker({"network", "ls", "-q", "--filter", label}), {"network", "rm"});
}

}  // namespace lucid::testing
