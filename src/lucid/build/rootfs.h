// The contents of a FROM-scratch runtime image: the spec's binaries and programs, their shared-library
// closure (ldd), extra files, /etc/passwd and /etc/group; and the docker build context holding them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/build/image_spec.h"
#include "lucid/sbom/spdx.h"

namespace lucid::build {

struct RootfsFile {
  std::filesystem::path source;  // host file (symlinks are followed when copying)
  std::string target;            // absolute path inside the image
  bool executable = false;
};

struct Rootfs {
  std::vector<RootfsFile> files;            // sorted by target, unique targets
  std::vector<sbom::LucidBinary> binaries;  // name, version, sha256 of each Lucid binary
  std::vector<std::string> sbom_paths;      // targets plus the host's canonical paths (dpkg lookup)
};

// The libraries `program` loads (ldd), the dynamic loader included; empty for static programs.
// kNotFound naming the program and library when ldd reports "not found".
Result<std::vector<std::string>> shared_library_closure(const std::filesystem::path& program);

// Collects everything the image holds. kNotFound naming the spec and the missing file.
Result<Rootfs> collect_rootfs(const ImageSpec& spec, const std::filesystem::path& bin_dir,
                              const std::string& version);

// The Dockerfile (FROM scratch, COPY rootfs/, USER, ENTRYPOINT, HEALTHCHECK, labels).
std::string dockerfile(const ImageSpec& spec, const std::string& version);

// Writes `dir`/Dockerfile and `dir`/rootfs/… (copies, modes 0755/0644; passwd and group generated).
Status write_build_context(const ImageSpec& spec, const Rootfs& rootfs, const std::string& version,
                           const std::filesystem::path& dir);

}  // namespace lucid::build
