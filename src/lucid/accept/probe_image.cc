#include "lucid/accept/probe_image.h"

#include <system_error>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/subprocess.h"
#include "lucid/base/temp_dir.h"
#include "lucid/build/rootfs.h"
#include "lucid/crypto/blake3.h"

namespace lucid::accept {

namespace fs = std::filesystem;

Result<ProbeImage> ensure_probe_image(const engine::DockerClient& docker, const fs::path& program,
                                      const std::vector<std::string>& prefix) {
  std::error_code ec;
  fs::path exe = fs::canonical(program, ec);
  if (ec)
    return fail(ErrorKind::kNotFound, fmt::format("probe program {}: {}", program.string(), ec.message()));
  auto libs = build::shared_library_closure(exe);
  if (!libs) return std::unexpected(libs.error());

  // The tag follows the bytes: the program and every library, with the paths they take.
  crypto::Blake3 h;
  std::vector<std::pair<fs::path, std::string>> files{{exe, "/usr/local/bin/probe"}};
  for (const auto& l : *libs) files.emplace_back(fs::canonical(l, ec), l);
  for (const auto& [source, target] : files) {
    auto bytes = read_file(source);
    if (!bytes) return std::unexpected(bytes.error());
    h.update(std::span(reinterpret_cast<const std::uint8_t*>(target.data()), target.size() + 1));
    h.update(*bytes);
  }
  auto digest = h.finalize();
  ProbeImage img;
  img.tag = fmt::format("{}:{}", kProbeRepository, to_hex(digest).substr(0, 16));
  img.prefix = {"/usr/local/bin/probe"};
  img.prefix.insert(img.prefix.end(), prefix.begin(), prefix.end());
  if (docker.get_json("/images/" + engine::DockerClient::encode(img.tag) + "/json")) return img;

  auto dir = PrivateTempDir::create("lucid-accept-probe-");
  if (!dir) return std::unexpected(dir.error());
  for (const auto& [source, target] : files) {
    fs::path dest = dir->path() / "rootfs" / fs::path(target).relative_path();
    fs::create_directories(dest.parent_path(), ec);
    if (!ec) fs::copy_file(source, dest, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::permissions(dest, fs::perms(0755), ec);
    if (ec)
      return fail(ErrorKind::kIo, fmt::format("probe image: copying {}: {}", source.string(), ec.message()));
  }
  std::string dockerfile =
      "FROM scratch\nCOPY rootfs/ /\nUSER 65534:65534\nLABEL org.opencontainers.image.title=\"lucid accept "
      "probe\"\n";
  if (auto s = write_file_atomic(
          dir->path() / "Dockerfile",
          std::span(reinterpret_cast<const std::uint8_t*>(dockerfile.data()), dockerfile.size()));
      !s)
    return std::unexpected(s.error());
  ProcessOptions po;
  po.argv = {"docker", "build", "-q", "--force-rm", "-t", img.tag, dir->path().string()};
  po.set_env = {"DOCKER_BUILDKIT=0"};
  po.timeout = std::chrono::minutes(5);
  auto r = run_process(po);
  if (!r) return fail(r.error().kind, "probe image: docker build: " + r.error().message);
  if (r->exit_code != 0)
    return fail(ErrorKind::kIo, fmt::format("probe image: docker build {} exited {}: {}", img.tag,
                                            r->exit_code, first_line(r->err.empty() ? r->out : r->err)));
  img.built = true;
  // Older probe images (of earlier lucidctl builds) are no longer needed: remove them, best effort
  // (an image still used by a container stays).
  nlohmann::json filters = {{"reference", {std::string(kProbeRepository)}}};
  if (auto list = docker.get_json("/images/json?filters=" + engine::DockerClient::filters(filters)))
    for (const auto& i : *list) {
      bool current = false;
      for (const auto& t : i.value("RepoTags", nlohmann::json::array())) current = current || t == img.tag;
      if (!current) (void)docker.del("/images/" + engine::DockerClient::encode(i.value("Id", "")));
    }
  return img;
}

}  // namespace lucid::accept
