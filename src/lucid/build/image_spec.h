// The declarative image list (docker/images.yaml): what each runtime image holds and how it runs.
// `lucidctl build` reads it; adding a service is one entry (docs/operations.md).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::build {

struct ImageSpec {
  std::string name;                      // repository lucid/<name>; compose service of that name
  int stage = 0;                         // SPEC-4 build stage 0..6
  std::string container;                 // inclusion-matrix row; defaults to name
  std::vector<std::string> binaries;     // Lucid programs from the bin dir → /usr/local/bin/<name>
  std::vector<std::string> programs;     // absolute host programs copied to the same path
  std::vector<std::string> files;        // absolute host files copied to the same path
  std::vector<std::string> state_dirs;   // absolute directories created empty, owned by `user` (volumes)
  std::string user = "10001:10001";      // uid:gid, never root
  std::string user_name = "lucid";       // passwd/group name
  std::vector<std::string> entrypoint;   // exec form
  std::vector<std::string> healthcheck;  // exec form
  bool pin = true;                       // false: no compose service carries this image
  std::string where;                     // "images.yaml:12:5" for messages

  unsigned uid() const;
  unsigned gid() const;
};

// Reads `images:`. kInvalidArgument naming file:line for a missing name/stage/entrypoint, a relative
// program path, a root user, or a duplicate name.
Result<std::vector<ImageSpec>> parse_image_specs(std::string_view yaml_text, const std::string& file);
Result<std::vector<ImageSpec>> load_image_specs(const std::filesystem::path& path);

}  // namespace lucid::build
