#include "lucid/base/http_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string_view>

#include <curl/curl.h>
#include <fmt/format.h>

#include "lucid/base/text.h"

namespace lucid {
namespace {

struct BodySink {
  std::string* body;
  std::size_t limit;  // 0: none
  bool too_large = false;
};

std::size_t collect(char* data, std::size_t size, std::size_t n, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  if (sink->limit != 0 && sink->body->size() + size * n > sink->limit) {
    sink->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  sink->body->append(data, size * n);
  return size * n;
}

// Collects "Name: value" header lines; a new status line (after a 100 Continue) starts afresh.
std::size_t collect_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    headers->clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name = lower(line.substr(0, colon));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  (*headers)[name] = std::string(value);
  return size * n;
}

// Where the request goes: the unix socket or the URL's host, directly or only through the named
// SOCKS proxy. CURLOPT_PROXY "" disables the environment's proxies (libcurl reads *_proxy only when
// the option is unset). libcurl copies the strings it is given.
void set_route(CURL* c, const HttpOptions& o) {
  if (!o.unix_socket.empty()) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, o.unix_socket.c_str());
  const std::string proxy = o.socks_proxy.empty() ? std::string() : "socks5h://" + o.socks_proxy;
  curl_easy_setopt(c, CURLOPT_PROXY, proxy.c_str());
}

Result<HttpResponse> perform(const std::string& method, const std::string& url, const std::string* body,
                             const std::string& content_type, const HttpOptions& o) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialised) return fail(ErrorKind::kInternal, "libcurl failed to initialise");
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return fail(ErrorKind::kInternal, "libcurl: no handle");
  HttpResponse r;
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : o.headers)
    headers = curl_slist_append(headers, fmt::format("{}: {}", k, v).c_str());
  if (body) headers = curl_slist_append(headers, fmt::format("Content-Type: {}", content_type).c_str());
  if (body) headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> hold(headers, curl_slist_free_all);
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  set_route(c, o);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  BodySink sink{&r.body, o.max_body_bytes};
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  }
  if (method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (method != "GET" && method != "POST") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  } else if (method == "POST" && !body) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
  }
  CURLcode rc = curl_easy_perform(c);
  if (sink.too_large)
    return fail(ErrorKind::kIo,
                fmt::format("{}: the response is larger than {} bytes", url, o.max_body_bytes));
  if (rc != CURLE_OK) return fail(ErrorKind::kIo, fmt::format("{}: {}", url, curl_easy_strerror(rc)));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

struct StreamState {
  const std::function<bool(std::string_view)>* on_data;
  const std::function<bool()>* stop;
  bool stopped = false;
};

std::size_t stream_data(char* data, std::size_t size, std::size_t n, void* user) {
  auto* st = static_cast<StreamState*>(user);
  if ((*st->stop)() || !(*st->on_data)(std::string_view(data, size * n))) {
    st->stopped = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  return size * n;
}

int stream_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* st = static_cast<StreamState*>(user);
  if (!(*st->stop)()) return 0;
  st->stopped = true;
  return 1;  // aborts the transfer (CURLE_ABORTED_BY_CALLBACK)
}

// TCP keep-alive on a stream's connection: a peer gone without closing (a host down, a cut tunnel)
// fails the transfer after 10 s idle + 3 unanswered probes 5 s apart. Options a socket does not take
// are left as they were.
int stream_keepalive(void*, curl_socket_t fd, curlsocktype purpose) {
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKOPT_OK;
  const int one = 1, idle = 10, interval = 5, count = 3;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  return CURL_SOCKOPT_OK;
}

bool names_content_type(const std::map<std::string, std::string>& headers) {
  return std::ranges::any_of(headers, [](const auto& h) { return lower(h.first) == "content-type"; });
}

}  // namespace

Result<long> http_stream(const std::string& method, const std::string& url,
                         const std::function<bool(std::string_view)>& on_data,
                         const std::function<bool()>& stop, const HttpOptions& o, const std::string* body) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialised) return fail(ErrorKind::kInternal, "libcurl failed to initialise");
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return fail(ErrorKind::kInternal, "libcurl: no handle");
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : o.headers)
    headers = curl_slist_append(headers, fmt::format("{}: {}", k, v).c_str());
  if (body && !names_content_type(o.headers))
    headers = curl_slist_append(headers, "Content-Type: application/json");
  if (body) headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> hold(headers, curl_slist_free_all);
  StreamState st{&on_data, &stop};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  set_route(c, o);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (o.unix_socket.empty()) curl_easy_setopt(c, CURLOPT_SOCKOPTFUNCTION, stream_keepalive);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  // With a body libcurl would say POST; the method is the caller's.
  if (method != "GET" || body) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stream_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &st);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, stream_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &st);
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK && !st.stopped)
    return fail(ErrorKind::kIo, fmt::format("{}: {}", url, curl_easy_strerror(rc)));
  return status;
}

Result<HttpResponse> http_get(const std::string& url, const HttpOptions& options) {
  return perform("GET", url, nullptr, "", options);
}

Result<HttpResponse> http_post(const std::string& url, const std::string& body,
                               const std::string& content_type, const HttpOptions& options) {
  return perform("POST", url, &body, content_type, options);
}

Result<HttpResponse> http_request(const std::string& method, const std::string& url, const std::string* body,
                                  const std::string& content_type, const HttpOptions& options) {
  return perform(method, url, body, content_type, options);
}

}  // namespace lucid
