// The probe image: FROM scratch, holding the program that runs the probes (lucidctl, with
// `accept probe …`) and its shared-library closure, nothing else. Built locally with the classic
// builder, tagged by the content hash so it is built once per binary, never pulled from anywhere.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/engine/docker_client.h"

namespace lucid::accept {

inline constexpr const char* kProbeRepository = "lucid-accept/probe";

struct ProbeImage {
  std::string tag;                  // lucid-accept/probe:<16 hex of BLAKE3 of the files>
  std::vector<std::string> prefix;  // the probe command's argv before the probe's own arguments
  bool built = false;               // built by this call (else it existed)
};

// Ensures the image of `program` exists (GET /images/<tag>/json, else `docker build`). `prefix` is
// the program's arguments that reach the probes (e.g. {"accept", "probe"}).
Result<ProbeImage> ensure_probe_image(const engine::DockerClient& docker,
                                      const std::filesystem::path& program,
                                      const std::vector<std::string>& prefix);

}  // namespace lucid::accept
