// A minimal HTTP/1.1 server for small JSON and text APIs: one accept thread over several listen
// addresses, one bounded worker per connection, bounded request sizes, `Connection: close`.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::http {

struct Request {
  std::string method;
  std::string target;                          // path and query as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string local_ip;                        // the address the connection arrived on
  std::uint16_t local_port = 0;
  std::string peer_ip;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::size_t max_request_bytes = 16 * 1024;  // request line + headers
  int max_connections = 64;                   // more are answered 503 and closed
  std::chrono::milliseconds io_timeout{5000};
};

class Server {
 public:
  // Binds every "ip:port" (port 0 picks a free one) and starts serving with `handler`.
  static Result<std::unique_ptr<Server>> start(const std::vector<std::string>& listen, Handler handler,
                                               ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port of listen address `i` (useful with port 0).
  std::uint16_t port(std::size_t i) const { return ports_.at(i); }
  // Stops accepting and waits for in-flight requests to finish.
  void stop();

 private:
  Server(Handler handler, ServerOptions options) : handler_(std::move(handler)), options_(options) {}
  void accept_loop();
  void serve(int fd);

  Handler handler_;
  ServerOptions options_;
  std::vector<int> listen_fds_;
  std::vector<std::uint16_t> ports_;
  int wake_pipe_[2] = {-1, -1};
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable idle_;
  int active_ = 0;
};

std::string status_text(int status);

}  // namespace lucid::http
