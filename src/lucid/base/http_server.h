// A minimal HTTP/1.1 server for small JSON and text APIs: one accept thread over several listen
// addresses, one bounded worker per connection, bounded request sizes, `Connection: close`. A
// response may instead stream (server-sent events): its callback writes until the client goes away
// or the server stops.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"

namespace lucid::http {

struct Request {
  std::string method;
  std::string target;                          // path and query as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string local_ip;                        // the address the connection arrived on
  std::uint16_t local_port = 0;
  std::string peer_ip;
  std::string body;  // the Content-Length bytes after the headers (at most max_body_bytes)
};

// One streaming response's connection, handed to `Response::stream` after the status line and
// headers went out.
class Stream {
 public:
  Stream(int fd, std::stop_token stop) : fd_(fd), stop_(std::move(stop)) {}
  // Sends `data` whole; false once the client has gone away, a send timed out or the server stops
  // (the callback should return then).
  bool write(std::string_view data);
  // Requested when the server stops: wait on it (std::condition_variable_any::wait_for takes it) so
  // that a stream blocked between writes ends at once.
  std::stop_token stop_token() const { return stop_; }
  // False when the server stops or the client closed its end.
  bool open();

 private:
  int fd_;
  std::stop_token stop_;
  bool broken_ = false;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};  // extra headers
  // When set, `body` is ignored: no Content-Length is sent and the callback writes the body through
  // the Stream until it returns (e.g. text/event-stream). Counts against ServerOptions::max_streams.
  std::function<void(Stream&)> stream = {};
};

using Handler = std::function<Response(const Request&)>;

// A JSON answer (the body is the document and a newline), and an error answer {"error": message}:
// what the services' JSON APIs send.
Response json_response(int status, const nlohmann::json& body);
Response error_response(int status, std::string_view message);

struct ServerOptions {
  std::size_t max_request_bytes = 16 * 1024;  // request line + headers
  std::size_t max_body_bytes = 64 * 1024;     // a larger Content-Length is answered 413
  int max_streams = 16;                       // concurrent streaming responses; more are answered 503
  int max_connections = 64;                   // more are answered 503 and closed
  // Connections open at once from one peer address; more from it are answered 503 and closed, so
  // one caller (a container on a plane network) cannot take every connection slot.
  int max_connections_per_peer = 16;
  std::chrono::milliseconds io_timeout{5000};  // each read or write
  // The whole request head (request line and headers) must arrive within this, however slowly it
  // trickles: a client sending a byte per io_timeout cannot hold a connection. Answered 408.
  std::chrono::milliseconds header_deadline{10000};
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
  // Stops accepting, ends streaming responses (their stop token is requested and their writes fail)
  // and waits for in-flight requests to finish.
  void stop();

 private:
  Server(Handler handler, ServerOptions options) : handler_(std::move(handler)), options_(options) {}
  void accept_loop();
  void serve(int fd, const std::string& peer_ip);
  void run_stream(int fd, const Response& resp);

  Handler handler_;
  ServerOptions options_;
  std::vector<int> listen_fds_;
  std::vector<std::uint16_t> ports_;
  int wake_pipe_[2] = {-1, -1};
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  std::stop_source stop_source_;
  std::mutex mu_;
  std::condition_variable idle_;
  int active_ = 0;
  std::map<std::string, int> active_per_peer_;  // peer IP → open connections (guarded by mu_)
  int streams_ = 0;
  std::set<int> stream_fds_;  // shut down by stop()
};

std::string status_text(int status);

// The percent-decoded value of query parameter `name` in a request target ("" when absent); an error
// (kInvalidArgument) for a malformed escape ("%" not followed by two hex digits).
Result<std::string> query_param(const std::string& target, const std::string& name);

}  // namespace lucid::http
