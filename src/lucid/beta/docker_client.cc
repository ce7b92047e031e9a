#include "lucid/beta/docker_client.h"

#include <curl/curl.h>

#include <fmt/format.h>

namespace lucid::beta {
namespace {

struct CurlInit {
  CurlInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

CURL* make_handle(const std::string& socket, const std::string& path) {
  static CurlInit init;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  std::string url = "http://docker/v1.41" + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  return c;
}

size_t append(char* p, size_t size, size_t n, void* user) {
  auto* s = static_cast<std::string*>(user);
  if (s->size() + size * n > 64 * 1024 * 1024) return 0;
  s->append(p, size * n);
  return size * n;
}

struct Stream {
  std::string buffer;
  const std::function<void(const nlohmann::json&)>* on_event;
  const std::function<bool()>* stop;
};

size_t stream_write(char* p, size_t size, size_t n, void* user) {
  auto* st = static_cast<Stream*>(user);
  st->buffer.append(p, size * n);
  std::size_t pos;
  while ((pos = st->buffer.find('\n')) != std::string::npos) {
    std::string line = st->buffer.substr(0, pos);
    st->buffer.erase(0, pos + 1);
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) (*st->on_event)(j);
  }
  if (st->buffer.size() > 1024 * 1024) return 0;
  return size * n;
}

int stream_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* st = static_cast<Stream*>(user);
  return (*st->stop)() ? 1 : 0;
}

}  // namespace

std::string DockerClient::encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

Result<nlohmann::json> DockerClient::get_json(const std::string& path) const {
  CURL* c = make_handle(socket_, path);
  std::string body;
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK)
    return fail(ErrorKind::kIo, fmt::format("docker engine {}: {}", socket_, curl_easy_strerror(rc)));
  if (status == 404) return fail(ErrorKind::kNotFound, fmt::format("docker engine: {} not found", path));
  if (status < 200 || status >= 300)
    return fail(ErrorKind::kIo, fmt::format("docker engine: GET {} answered {}", path, status));
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded())
    return fail(ErrorKind::kCorrupt, fmt::format("docker engine: GET {} answered non-JSON", path));
  return j;
}

Status DockerClient::stream_events(const std::string& path,
                                   const std::function<void(const nlohmann::json&)>& on_event,
                                   const std::function<bool()>& stop) const {
  CURL* c = make_handle(socket_, path);
  Stream st{{}, &on_event, &stop};
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stream_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &st);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, stream_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &st);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_cleanup(c);
  if (stop()) return {};
  return fail(ErrorKind::kIo, fmt::format("docker events stream ended: {}", curl_easy_strerror(rc)));
}

}  // namespace lucid::beta
