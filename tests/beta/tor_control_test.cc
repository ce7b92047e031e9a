// The control client against fake control ports on loopback: a well-behaved script, one that
// answers garbage, one that never answers, one that hangs up. Errors, never crashes or hangs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <thread>

#include "lucid/base/base64.h"
#include "lucid/beta/tor_control.h"
#include "lucid/crypto/onion_address.h"
#include "lucid/crypto/x25519.h"
#include "testing/testing.h"

namespace lucid::beta {
namespace {

using namespace std::chrono_literals;

// Accepts one connection; for each line received, sends the next scripted answer (if any).
class FakeControlPort {
 public:
  explicit FakeControlPort(std::vector<std::string> answers, bool close_after = false) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    ::listen(fd_, 1);
    socklen_t len = sizeof sa;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    thread_ = std::thread([this, answers, close_after] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string buf;
      std::size_t next = 0;
      char tmp[4096];
      while (true) {
        ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
        if (n <= 0) break;
        buf.append(tmp, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = buf.find("\r\n")) != std::string::npos) {
          received.push_back(buf.substr(0, nl));
          buf.erase(0, nl + 2);
          if (next < answers.size()) ::send(c, answers[next].data(), answers[next].size(), MSG_NOSIGNAL);
          ++next;
          if (close_after && next >= answers.size()) {
            ::close(c);
            return;
          }
        }
      }
      ::close(c);
    });
  }
  ~FakeControlPort() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  std::uint16_t port() const { return port_; }
  std::vector<std::string> received;

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

std::filesystem::path cookie(const testing::ScratchDir& dir) {
  auto p = dir / "cookie";
  testing::write_bytes(p, std::vector<std::uint8_t>(32, 0xab));
  return p;
}

TEST(TorControl, ScriptedSession) {
  testing::ScratchDir dir;
  auto id = OnionIdentity::generate();
  FakeControlPort fake({"250 OK\r\n", "250-ServiceID=" + id.address() + "\r\n250 OK\r\n",
                        "250-version=0.4.9.11\r\n250 OK\r\n", "250 OK\r\n"});
  {
    auto c = TorControl::connect(fake.port(), 2s);
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_TRUE(c->authenticate_cookie(cookie(dir)));
    auto sid = c->add_onion(id, {{80, "127.0.0.1:8080"}, {81, "127.0.0.1:8081"}}, true);
    ASSERT_TRUE(sid) << sid.error().message;
    EXPECT_EQ(*sid, id.address());
    EXPECT_EQ(c->getinfo("version"), "0.4.9.11");
    EXPECT_TRUE(c->del_onion(*sid));
  }
  ASSERT_GE(fake.received.size(), 4u);
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "ab";
  EXPECT_EQ(fake.received[0], "AUTHENTICATE " + hex);
  EXPECT_TRUE(fake.received[1].starts_with("ADD_ONION ED25519-V3:"));
  EXPECT_TRUE(fake.received[1].ends_with(" Flags=Detach Port=80,127.0.0.1:8080 Port=81,127.0.0.1:8081"));
  EXPECT_EQ(fake.received[3], "DEL_ONION " + id.address());
}

// Tor v3 client authorization: the onion lists the keys that may read it (Flags=V3Auth,
// ClientAuthV3=), and a client tor is given its own key for another cluster's onion.
TEST(TorControl, ClientAuthorizationCommands) {
  testing::ScratchDir dir;
  auto id = OnionIdentity::generate(), other = OnionIdentity::generate();
  FakeControlPort fake({"250 OK\r\n", "250-ServiceID=" + id.address() + "\r\n250 OK\r\n",
                        "251 Client for onion existed and replaced\r\n", "512 Invalid v3 address\r\n"});
  const std::string k1 = crypto::client_auth_key_text(other.client_auth_public_key());
  const std::string k2 = crypto::client_auth_key_text(OnionIdentity::generate().client_auth_public_key());
  {
    auto c = TorControl::connect(fake.port(), 2s);
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_TRUE(c->authenticate_cookie(cookie(dir)));
    ASSERT_TRUE(c->add_onion(id, {{80, "127.0.0.1:8080"}}, false, {k1, k2}));
    EXPECT_TRUE(c->onion_client_auth_add(other.address(), id));
    auto refused = c->onion_client_auth_add("x", id);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message.find("x25519:"), std::string::npos) << "no key material in errors";
    EXPECT_FALSE(c->onion_client_auth_add("a b", id)) << "no injection through the address";
  }
  ASSERT_GE(fake.received.size(), 3u);
  EXPECT_TRUE(fake.received[1].ends_with(" Flags=V3Auth Port=80,127.0.0.1:8080 ClientAuthV3=" + k1 +
                                         " ClientAuthV3=" + k2))
      << fake.received[1].substr(fake.received[1].find(" Flags"));
  EXPECT_EQ(fake.received[2], "ONION_CLIENT_AUTH_ADD " + other.address() +
                                  " x25519:" + base64_encode(id.client_auth_secret().span()));
}

TEST(OnionKey, ClientAuthorizationKeyIsDerivedFromTheSeedAndRoundTrips) {
  auto a = OnionIdentity::generate();
  const auto again = OnionIdentity::from_seed(a.seed());
  EXPECT_EQ(a.client_auth_public_key(), again.client_auth_public_key()) << "derived, not random";
  EXPECT_NE(a.client_auth_public_key(), OnionIdentity::generate().client_auth_public_key());
  EXPECT_EQ(a.client_auth_public_key(), crypto::x25519_public_key(a.client_auth_secret()));
  const std::string text = crypto::client_auth_key_text(a.client_auth_public_key());
  EXPECT_EQ(text.size(), 52u);
  EXPECT_EQ(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), std::string::npos) << text;
  auto lower = text;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_EQ(crypto::parse_client_auth_key(lower), a.client_auth_public_key());
  EXPECT_FALSE(crypto::parse_client_auth_key(text.substr(1)));
  EXPECT_FALSE(crypto::parse_client_auth_key(text.substr(0, 51) + "1"));
  // The last character carries 4 padding bits, which must be zero (so it is A or Q): one text per key.
  EXPECT_TRUE(text.back() == 'A' || text.back() == 'Q') << text;
  auto padded = text;
  padded.back() = 'B';
  EXPECT_FALSE(crypto::parse_client_auth_key(padded));
}

TEST(TorControl, GarbageAnswerIsAnError) {
  testing::ScratchDir dir;
  FakeControlPort fake({"HTTP/1.0 400 Bad Request\r\nServer: nginx\r\n\r\n"});
  auto c = TorControl::connect(fake.port(), 2s);
  ASSERT_TRUE(c);
  auto s = c->authenticate_cookie(cookie(dir));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("garbage"), std::string::npos) << s.error().message;
  EXPECT_FALSE(c->getinfo("version")) << "the connection stays failed";
}

TEST(TorControl, RefusalsAndMissingFields) {
  testing::ScratchDir dir;
  auto id = OnionIdentity::generate();
  FakeControlPort fake({"515 Authentication failed: Wrong length on authentication cookie.\r\n", "250 OK\r\n",
                        "512 Bad arguments\r\n"});
  auto c = TorControl::connect(fake.port(), 2s);
  ASSERT_TRUE(c);
  auto a = c->authenticate_cookie(cookie(dir));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().kind, ErrorKind::kAuthentication);
  auto sid = c->add_onion(id, {{80, "127.0.0.1:8080"}}, false);
  ASSERT_FALSE(sid) << "250 without ServiceID";
  EXPECT_EQ(sid.error().message.find("ED25519"), std::string::npos) << "no key material in errors";
  auto refused = c->add_onion(id, {{80, "127.0.0.1:8080"}}, false);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("512"), std::string::npos);
  EXPECT_FALSE(c->add_onion(id, {}, false));
  EXPECT_FALSE(c->add_onion(id, {{80, "127.0.0.1:80 Flags=Detach"}}, false))
      << "no injection through targets";
}

TEST(TorControl, SilentPortTimesOutAndHangUpIsAnError) {
  testing::ScratchDir dir;
  {
    FakeControlPort silent({});
    auto c = TorControl::connect(silent.port(), 300ms);
    ASSERT_TRUE(c);
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(c->getinfo("version"));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  }
  {
    FakeControlPort hangup({"250-version=1"}, true);
    auto c = TorControl::connect(hangup.port(), 2s);
    ASSERT_TRUE(c);
    auto v = c->getinfo("version");
    ASSERT_FALSE(v);
    EXPECT_NE(v.error().message.find("closed"), std::string::npos) << v.error().message;
  }
  EXPECT_FALSE(TorControl::connect(1, 500ms)) << "nothing listens on port 1";
}

}  // namespace
}  // namespace lucid::beta
