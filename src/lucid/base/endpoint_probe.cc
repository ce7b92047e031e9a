#include "lucid/base/endpoint_probe.h"

#include <fmt/format.h>

#include "lucid/base/http_client.h"

namespace lucid {

int print_endpoint(const std::string& url, std::string_view program) {
  HttpOptions options;
  options.timeout = std::chrono::seconds(3);
  options.max_body_bytes = std::size_t{1} << 20;
  auto response = http_get(url, options);
  if (!response) {
    fmt::print(stderr, "{}: {}\n", program, response.error().message);
    return 1;  // as for an unhealthy answer
  }
  fmt::print("{}", response->body);
  return response->status == 200 ? 0 : 1;
}

}  // namespace lucid
