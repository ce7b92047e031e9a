// Tor control-protocol reply parsing: single and multi-line replies, data blocks, errors, and
// garbage (which must be an error, never a crash), fed whole and byte by byte.
#include <gtest/gtest.h>

#include <random>

#include "lucid/beta/control_reply.h"

namespace lucid::beta {
namespace {

TEST(ControlReply, AddOnionReply) {
  auto r = parse_control_reply(
      "250-ServiceID=25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid\r\n250 OK\r\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->value("ServiceID"), "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid");
  EXPECT_FALSE(r->value("PrivateKey"));
}

TEST(ControlReply, DataBlockIsUnstuffed) {
  auto r = parse_control_reply("250+onions/current=\r\nabc\r\n..dotted\r\n.\r\n250 OK\r\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->value("onions/current"), "abc\n.dotted\n");
}

TEST(ControlReply, ErrorStatus) {
  auto r = parse_control_reply("552 Unrecognized key \"nope\"\r\n");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->status, 552);
  EXPECT_EQ(r->message(), "552 Unrecognized key \"nope\"");
}

TEST(ControlReply, ByteByByteAndSeveralReplies) {
  std::string wire = "650 STATUS_GENERAL NOTICE X\r\n250-version=0.4.9.11\r\n250 OK\r\n515 Bad auth\r\n";
  ReplyParser p;
  for (char c : wire) ASSERT_TRUE(p.feed(std::string_view(&c, 1)));
  auto a = p.next();
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_async());
  auto b = p.next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->value("version"), "0.4.9.11");
  auto c = p.next();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 515);
  EXPECT_FALSE(p.next());
}

TEST(ControlReply, GarbageIsAnError) {
  for (const std::string& g :
       std::vector<std::string>{"HTTP/1.1 200 OK\r\n", "25\r\n", "2x0 OK\r\n", "250*OK\r\n", "999 nope\r\n",
                                "250-a\r\n251 b\r\n", std::string("\0\0\0\0\r\n", 6)}) {
    ReplyParser p;
    EXPECT_FALSE(p.feed(g)) << g;
    EXPECT_FALSE(p.feed("250 OK\r\n")) << "stays failed";
  }
  ReplyParser p;
  EXPECT_FALSE(p.feed(std::string(70000, 'a'))) << "unterminated long line";
  EXPECT_FALSE(parse_control_reply("250-partial\r\n")) << "incomplete";
}

TEST(ControlReply, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 200, '\0');
    for (auto& c : s) c = static_cast<char>("250-+ .\r\n=abc\0"[rng() % 14]);
    ReplyParser p;
    (void)p.feed(s);
    while (p.next()) {
    }
  }
  SUCCEED();
}

}  // namespace
}  // namespace lucid::beta
