// betactl's side of the admin API: a bounded HTTP GET (base http_client) to betad's loopback
// admin listener.
#pragma once

#include <chrono>
#include <string>

#include "lucid/base/result.h"

namespace lucid::beta {

struct AdminResponse {
  long status = 0;
  std::string body;
};

// GET http://<admin><path> (admin = "127.0.0.1:9105"); kIo when betad does not answer.
Result<AdminResponse> admin_get(const std::string& admin, const std::string& path,
                                std::chrono::milliseconds timeout = std::chrono::milliseconds(4000));

}  // namespace lucid::beta
