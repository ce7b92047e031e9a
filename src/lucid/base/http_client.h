// A small blocking HTTP client on libcurl: GET, POST and any other method (HEAD, PUT, DELETE) over TCP
// or a unix socket (the Docker engine at /var/run/docker.sock), with a timeout. One request per call.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "lucid/base/result.h"

namespace lucid {

struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // response headers, names lower-cased (last one wins)

  // The header's value or "" when absent; `name` in lower case.
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpOptions {
  std::string unix_socket;  // when set, connect here; the URL's host is then only a name ("http://docker")
  std::chrono::milliseconds timeout{5000};
  std::map<std::string, std::string> headers;
  // "host:port" of a SOCKS5 proxy that resolves names itself (TOR_SOCKS, for onion addresses): the
  // request goes only through it. Empty: a direct connection. The environment's http_proxy,
  // https_proxy and all_proxy are never used: Lucid's traffic takes only the paths it names (a
  // proxy picked up from the environment could carry a loopback admin request or a site report
  // somewhere else).
  std::string socks_proxy;
  // A response body larger than this fails the request (kIo) instead of growing without bound;
  // 0: no bound (registry blobs).
  std::size_t max_body_bytes = 0;
};

// Fails (kIo) when no connection could be made or the transfer broke; any HTTP status is a success.
Result<HttpResponse> http_get(const std::string& url, const HttpOptions& options = {});
Result<HttpResponse> http_post(const std::string& url, const std::string& body,
                               const std::string& content_type = "application/json",
                               const HttpOptions& options = {});
// Any method: "HEAD" sends no body and reads none; with `body` set the bytes are sent with
// `content_type` (PUT, PATCH, POST). Redirects are not followed.
Result<HttpResponse> http_request(const std::string& method, const std::string& url, const std::string* body,
                                  const std::string& content_type = "application/octet-stream",
                                  const HttpOptions& options = {});

// Streaming: sends `method` and hands the response body to `on_data` as it arrives, for long-lived
// feeds such as the Docker /events stream or etcd's /v3/watch. With `body` set its bytes are sent
// (Content-Type application/json unless `options.headers` names one; the method stays as given);
// `*body` must outlive the call. `options.timeout` bounds only the connection; the transfer runs
// until the server ends it, `on_data` returns false, or `stop()` turns true (checked at least once a
// second). Over TCP, a peer that vanished without closing is noticed within ~25 s (keep-alive probes).
// Returns the HTTP status (any status is a success, its body goes to `on_data` too); stopping early
// is not an error.
Result<long> http_stream(const std::string& method, const std::string& url,
                         const std::function<bool(std::string_view)>& on_data,
                         const std::function<bool()>& stop, const HttpOptions& options = {},
                         const std::string* body = nullptr);

}  // namespace lucid
