// Onion v3 identities: the RFC 8032 test-1 key against independently computed values (tor's own
// test_hs_common build_address vector), key-file permissions and corruption.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "lucid/base/base64.h"
#include "lucid/base/hex.h"
#include "lucid/beta/onion_key.h"
#include "testing/testing.h"

namespace lucid::beta {
namespace {

constexpr const char* kSeed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr const char* kPublic = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
// tor's src/test/test_hs_common.c test_build_address uses this public key and address.
constexpr const char* kAddress = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid";
// base64(SHA-512(seed) clamped), computed with Python's hashlib.
constexpr const char* kExpanded =
    "MHyDhk8oM8tCei7xwAoBPP3/J2jZgMCjpSDwBpBN6U+bTwr+KAt0aneGhOdUQlAgV7dHOgPwj5b1o46Sh+Afjw==";

OnionIdentity rfc_identity() {
  SecretArray<32> seed;
  EXPECT_TRUE(from_hex_into(kSeed, seed.span()));
  return OnionIdentity::from_seed(seed);
}

TEST(OnionKey, KnownVectorAddressAndExpandedKey) {
  auto id = rfc_identity();
  EXPECT_EQ(to_hex(id.public_key()), kPublic);
  EXPECT_EQ(id.address(), kAddress);
  EXPECT_EQ(base64_encode(id.expanded().span()), kExpanded);
  auto spec = id.tor_key_spec();
  EXPECT_EQ(std::string(spec.begin(), spec.end()), std::string("ED25519-V3:") + kExpanded);
}

TEST(OnionKey, ParseAddressChecksVersionAndChecksum) {
  auto pk = parse_onion_address(std::string(kAddress) + ".onion");
  ASSERT_TRUE(pk) << pk.error().message;
  EXPECT_EQ(to_hex(*pk), kPublic);
  std::string flipped = kAddress;
  flipped[10] = flipped[10] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(parse_onion_address(flipped));
  EXPECT_FALSE(parse_onion_address("short"));
  EXPECT_FALSE(parse_onion_address(std::string(55, 'a') + "1"));
}

TEST(OnionKey, FreshIdentitiesRoundTripTheirAddress) {
  for (int i = 0; i < 20; ++i) {
    auto id = OnionIdentity::generate();
    auto pk = parse_onion_address(id.address());
    ASSERT_TRUE(pk);
    EXPECT_EQ(*pk, id.public_key());
  }
}

TEST(OnionKey, KeyFilePersistsWithMode0600) {
  testing::ScratchDir dir;
  auto a = load_or_create_identity(dir.path(), "c1", "ops");
  ASSERT_TRUE(a) << a.error().message;
  auto path = identity_path(dir.path(), "c1", "ops");
  struct stat st {};
  ASSERT_EQ(::stat(path->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto b = load_or_create_identity(dir.path(), "c1", "ops");
  ASSERT_TRUE(b);
  EXPECT_EQ(a->address(), b->address());
  auto other = load_or_create_identity(dir.path(), "c2", "ops");
  ASSERT_TRUE(other);
  EXPECT_NE(other->address(), a->address()) << "keys are scoped by cluster id";
}

TEST(OnionKey, RefusesGroupReadableKeyFile) {
  testing::ScratchDir dir;
  ASSERT_TRUE(load_or_create_identity(dir.path(), "c1", "ops"));
  auto path = *identity_path(dir.path(), "c1", "ops");
  ::chmod(path.c_str(), 0640);
  auto r = load_or_create_identity(dir.path(), "c1", "ops");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("readable by group or others"), std::string::npos) << r.error().message;
}

TEST(OnionKey, CorruptKeyFileIsAnErrorWithoutKeyMaterial) {
  testing::ScratchDir dir;
  auto id = load_or_create_identity(dir.path(), "c1", "wallet");
  ASSERT_TRUE(id);
  auto path = *identity_path(dir.path(), "c1", "wallet");
  auto bytes = testing::read_bytes(path);
  std::string hex = to_hex(id->seed().span());
  bytes[30] = 'z';  // not hex
  testing::write_bytes(path, bytes);
  ::chmod(path.c_str(), 0600);
  auto r = load_or_create_identity(dir.path(), "c1", "wallet");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt);
  EXPECT_EQ(r.error().message.find(hex.substr(0, 16)), std::string::npos);
  bytes.resize(20);
  testing::write_bytes(path, bytes);
  ::chmod(path.c_str(), 0600);
  auto t = load_identity(path);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, ErrorKind::kCorrupt);
}

TEST(OnionKey, RejectsBadNames) {
  EXPECT_FALSE(identity_path("/tmp", "../x", "ops"));
  EXPECT_FALSE(identity_path("/tmp", "c1", "Ops/.."));
}

}  // namespace
}  // namespace lucid::beta
