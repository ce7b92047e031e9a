#include "lucid/beta/admin_client.h"

#include <curl/curl.h>

#include <fmt/format.h>

namespace lucid::beta {
namespace {

size_t append(char* p, size_t size, size_t n, void* user) {
  auto* s = static_cast<std::string*>(user);
  if (s->size() + size * n > 16 * 1024 * 1024) return 0;
  s->append(p, size * n);
  return size * n;
}

}  // namespace

Result<AdminResponse> admin_get(const std::string& admin, const std::string& path,
                                std::chrono::milliseconds timeout) {
  CURL* c = curl_easy_init();
  if (!c) return fail(ErrorKind::kInternal, "curl_easy_init failed");
  std::string url = fmt::format("http://{}{}", admin, path);
  AdminResponse r;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK)
    return fail(ErrorKind::kIo, fmt::format("betad admin {}: {}", admin, curl_easy_strerror(rc)));
  return r;
}

}  // namespace lucid::beta
