// The HTTP server's streaming responses (server-sent events) and request bodies, against the real
// server and libcurl client on loopback: a stream delivers what its callback writes, ends promptly
// when the server stops (even while the callback waits), notices a client that went away, and is
// bounded in number; request bodies, sent by http_post and http_stream, are read and bounded.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "lucid/base/http_client.h"
#include "lucid/base/http_server.h"

using namespace lucid;
using namespace std::chrono_literals;

namespace {

std::string url_of(const http::Server& s, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(s.port(0)) + path;
}

// A handler whose /events stream writes one event, then waits (on the stop token) for up to a minute
// between keep-alives — as the console's /api/v1/events does.
http::Handler sse_handler(std::atomic<int>& ended) {
  return [&ended](const http::Request& req) {
    if (req.target == "/echo") return http::Response{200, "text/plain", req.method + ":" + req.body};
    http::Response r;
    r.content_type = "text/event-stream";
    r.headers = {{"Cache-Control", "no-store"}};
    r.stream = [&ended](http::Stream& s) {
      std::mutex mu;
      std::condition_variable_any cv;
      if (s.write("event: hello\ndata: {\"n\":1}\n\n")) {
        std::unique_lock lock(mu);
        for (int i = 0; i < 60 && s.open(); ++i) {
          if (cv.wait_for(lock, s.stop_token(), 1s, [] { return false; })) break;
          if (s.stop_token().stop_requested() || !s.write(": keep-alive\n\n")) break;
        }
      }
      ++ended;
    };
    return r;
  };
}

TEST(HttpServerStream, DeliversEventsAndEndsPromptlyOnStop) {
  std::atomic<int> ended{0};
  auto server = http::Server::start({"127.0.0.1:0"}, sse_handler(ended));
  ASSERT_TRUE(server) << server.error().message;
  std::string received;
  std::mutex mu;
  std::condition_variable got;
  long status = 0;
  std::thread client([&] {
    auto r = http_stream(
        "GET", url_of(**server, "/events"),
        [&](std::string_view data) {
          std::lock_guard lock(mu);
          received.append(data);
          got.notify_all();
          return true;
        },
        [] { return false; });
    status = r ? *r : -1;
  });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(got.wait_for(lock, 10s, [&] { return received.find("\n\n") != std::string::npos; }));
    EXPECT_EQ(received, "event: hello\ndata: {\"n\":1}\n\n");
  }
  auto t0 = std::chrono::steady_clock::now();
  (*server)->stop();  // the callback is waiting for up to a second at a time, 60 times
  auto took = std::chrono::steady_clock::now() - t0;
  client.join();
  EXPECT_LT(took, 500ms) << "stop() waited for the stream";
  EXPECT_EQ(status, 200);
  EXPECT_EQ(ended, 1);
}

TEST(HttpServerStream, ClientGoneEndsStreamAndStreamsAreBounded) {
  std::atomic<int> ended{0};
  http::ServerOptions options;
  options.max_streams = 1;
  auto server = http::Server::start({"127.0.0.1:0"}, sse_handler(ended), options);
  ASSERT_TRUE(server) << server.error().message;
  std::atomic<bool> leave{false}, first_data{false};
  std::thread first([&] {
    (void)http_stream(
        "GET", url_of(**server, "/events"),
        [&](std::string_view) {
          first_data = true;
          return !leave.load();
        },
        [&] { return leave.load(); });
  });
  for (int i = 0; i < 100 && !first_data; ++i) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(first_data);
  // A second stream while the first is open: over the bound.
  auto second = http_get(url_of(**server, "/events"));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->status, 503);
  // The first client goes away: its stream notices within a keep-alive period and frees its slot.
  leave = true;
  first.join();
  for (int i = 0; i < 60 && ended == 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(ended, 1) << "the stream did not notice the closed client";
  std::string third;
  auto r = http_stream(
      "GET", url_of(**server, "/events"),
      [&](std::string_view d) {
        third.append(d);
        return false;  // one chunk is enough
      },
      [] { return false; });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, 200);
  EXPECT_NE(third.find("event: hello"), std::string::npos);
}

TEST(HttpServerStream, RequestBodiesAreReadAndBounded) {
  std::atomic<int> ended{0};
  http::ServerOptions options;
  options.max_body_bytes = 1000;
  auto server = http::Server::start({"127.0.0.1:0"}, sse_handler(ended), options);
  ASSERT_TRUE(server) << server.error().message;
  auto ok = http_post(url_of(**server, "/echo"), R"({"reason":"test"})");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, R"(POST:{"reason":"test"})");
  auto big = http_post(url_of(**server, "/echo"), std::string(1001, 'x'));
  ASSERT_TRUE(big) << big.error().message;
  EXPECT_EQ(big->status, 413);
  // http_stream sends a body too, with the method as given.
  const std::string body = R"({"create_request":{}})";
  std::string streamed;
  auto posted = http_stream(
      "POST", url_of(**server, "/echo"),
      [&](std::string_view d) {
        streamed.append(d);
        return true;
      },
      [] { return false; }, {}, &body);
  ASSERT_TRUE(posted) << posted.error().message;
  EXPECT_EQ(*posted, 200);
  EXPECT_EQ(streamed, R"(POST:{"create_request":{}})");
  std::string put;
  auto as_put = http_stream(
      "PUT", url_of(**server, "/echo"),
      [&](std::string_view d) {
        put.append(d);
        return true;
      },
      [] { return false; }, {}, &body);
  ASSERT_TRUE(as_put) << as_put.error().message;
  EXPECT_EQ(put, R"(PUT:{"create_request":{}})");
}

}  // namespace
