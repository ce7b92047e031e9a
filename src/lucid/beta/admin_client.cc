#include "lucid/beta/admin_client.h"

#include <fmt/format.h>

#include "lucid/base/http_client.h"

namespace lucid::beta {

Result<AdminResponse> admin_get(const std::string& admin, const std::string& path,
                                std::chrono::milliseconds timeout) {
  HttpOptions options;
  options.timeout = timeout;
  options.max_body_bytes = 16u << 20;  // betad's answers are small; a larger one is not betad
  auto r = http_get(fmt::format("http://{}{}", admin, path), options);
  if (!r) return fail(ErrorKind::kIo, fmt::format("betad admin {}: {}", admin, r.error().message));
  return AdminResponse{r->status, std::move(r->body)};
}

}  // namespace lucid::beta
