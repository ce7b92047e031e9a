// The HTTP server's limits against slow and greedy clients, on loopback with real sockets: a head
// that trickles in is cut off at header_deadline (408) however slowly it comes, and one peer
// address cannot hold more than max_connections_per_peer connections while another address is
// still served (127.0.0.2 is a second loopback source address).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "lucid/base/http_client.h"
#include "lucid/base/http_server.h"

using namespace lucid;
using namespace std::chrono_literals;

namespace {

// A TCP connection from `source` (an address on lo) to 127.0.0.1:port; -1 on failure.
int connect_from(const char* source, std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Everything the server sends until it closes (or 5 s pass).
std::string read_all(int fd) {
  std::string out;
  char buf[1024];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

http::Handler ok_handler() {
  return [](const http::Request&) { return http::Response{200, "text/plain", "ok\n"}; };
}

TEST(HttpServerLimits, ATricklingHeadIsCutOffAtTheHeaderDeadline) {
  http::ServerOptions options;
  options.io_timeout = 2000ms;      // each byte below comes well within this
  options.header_deadline = 600ms;  // but the whole head does not
  auto server = http::Server::start({"127.0.0.1:0"}, ok_handler(), options);
  ASSERT_TRUE(server) << server.error().message;
  int fd = connect_from("127.0.0.1", (*server)->port(0));
  ASSERT_GE(fd, 0);
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  const auto started = std::chrono::steady_clock::now();
  std::string answer;
  for (char c : head) {
    if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1) break;  // the server closed: the deadline passed
    std::this_thread::sleep_for(100ms);
  }
  answer = read_all(fd);
  const auto took = std::chrono::steady_clock::now() - started;
  ::close(fd);
  EXPECT_NE(answer.find("408"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("200"), std::string::npos) << answer;
  EXPECT_LT(took, 2s) << "the head's " << head.size() << " bytes at 100 ms each would take 2.7 s";
  // A head sent at once is served as before.
  auto r = http_get("http://127.0.0.1:" + std::to_string((*server)->port(0)) + "/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  (*server)->stop();
}

TEST(HttpServerLimits, OnePeerCannotTakeEveryConnection) {
  http::ServerOptions options;
  options.max_connections_per_peer = 2;
  options.header_deadline = 5000ms;
  auto server = http::Server::start({"127.0.0.1:0"}, ok_handler(), options);
  ASSERT_TRUE(server) << server.error().message;
  const std::uint16_t port = (*server)->port(0);
  // Two idle connections from 127.0.0.1 hold its share.
  std::vector<int> held;
  for (int i = 0; i < 2; ++i) {
    int fd = connect_from("127.0.0.1", port);
    ASSERT_GE(fd, 0);
    held.push_back(fd);
  }
  std::this_thread::sleep_for(200ms);  // the acceptor has counted them
  int third = connect_from("127.0.0.1", port);
  ASSERT_GE(third, 0);
  std::string refused = read_all(third);
  ::close(third);
  EXPECT_NE(refused.find("503"), std::string::npos) << refused;
  EXPECT_NE(refused.find("too many connections from this address"), std::string::npos) << refused;
  // Another address is still served.
  int other = connect_from("127.0.0.2", port);
  ASSERT_GE(other, 0) << "cannot bind 127.0.0.2 on lo";
  const std::string get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(other, get.data(), get.size(), MSG_NOSIGNAL), static_cast<ssize_t>(get.size()));
  std::string served = read_all(other);
  ::close(other);
  EXPECT_NE(served.find("200"), std::string::npos) << served;
  // Once one of the held connections goes, 127.0.0.1 is served again.
  ::close(held.back());
  held.pop_back();
  std::this_thread::sleep_for(200ms);
  auto r = http_get("http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  for (int fd : held) ::close(fd);
  (*server)->stop();
}

}  // namespace
