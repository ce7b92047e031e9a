// Ed25519: RFC 8032 §7.1 TEST 1, 2, 3 and SHA(abc) (public key and signature byte for byte), and
// refusal of a flipped bit in the message, the signature or the public key.
#include "lucid/crypto/ed25519.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/hex.h"

namespace lucid::crypto {
namespace {

struct Rfc8032Case {
  const char* name;
  const char* secret_key;  // the 32-byte seed
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 §7.1. SHA(abc) signs the 64-byte SHA-512 digest of "abc".
const Rfc8032Case kCases[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
     "d25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c"
     "387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc659"
     "4a7c15e9716ed28dc027beceea1ec40a"},
    {"TEST SHA(abc)", "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
     "454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e030"
     "3dca179c138ac17ad9bef1177331a704"},
};

std::vector<std::uint8_t> unhex(std::string_view text) {
  auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes.value_or(std::vector<std::uint8_t>{});
}

Ed25519Seed seed_of(const Rfc8032Case& c) {
  Ed25519Seed seed;
  EXPECT_TRUE(from_hex_into(c.secret_key, seed.span()).has_value());
  return seed;
}

Ed25519PublicKey public_of(const Rfc8032Case& c) {
  Ed25519PublicKey pk{};
  EXPECT_TRUE(from_hex_into(c.public_key, pk).has_value());
  return pk;
}

Ed25519Signature signature_of(const Rfc8032Case& c) {
  Ed25519Signature sig{};
  EXPECT_TRUE(from_hex_into(c.signature, sig).has_value());
  return sig;
}

TEST(Ed25519, Rfc8032PublicKeysFromSeeds) {
  for (const auto& c : kCases) {
    auto kp = Ed25519KeyPair::from_seed(seed_of(c));
    EXPECT_EQ(to_hex(kp.public_key()), c.public_key) << c.name;
    EXPECT_EQ(to_hex(kp.seed().span()), c.secret_key) << c.name;
  }
}

TEST(Ed25519, Rfc8032Signatures) {
  for (const auto& c : kCases) {
    auto kp = Ed25519KeyPair::from_seed(seed_of(c));
    auto message = unhex(c.message);
    EXPECT_EQ(to_hex(kp.sign(message)), c.signature) << c.name;
  }
}

TEST(Ed25519, Rfc8032SignaturesVerify) {
  for (const auto& c : kCases) {
    EXPECT_TRUE(ed25519_verify(public_of(c), unhex(c.message), signature_of(c))) << c.name;
  }
}

TEST(Ed25519, RefusesAFlippedBitInTheMessage) {
  for (const auto& c : kCases) {
    auto message = unhex(c.message);
    const auto pk = public_of(c);
    const auto sig = signature_of(c);
    for (std::size_t i = 0; i < message.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        auto bad = message;
        bad[i] ^= static_cast<std::uint8_t>(1u << bit);
        EXPECT_FALSE(ed25519_verify(pk, bad, sig)) << c.name << " message byte " << i << " bit " << bit;
      }
    }
    auto longer = message;
    longer.push_back(0);
    EXPECT_FALSE(ed25519_verify(pk, longer, sig)) << c.name << " message with an extra byte";
    if (!message.empty()) {
      std::vector<std::uint8_t> shorter(message.begin(), message.end() - 1);
      EXPECT_FALSE(ed25519_verify(pk, shorter, sig)) << c.name << " message missing its last byte";
    }
  }
}

TEST(Ed25519, RefusesAFlippedBitInTheSignature) {
  for (const auto& c : kCases) {
    const auto message = unhex(c.message);
    const auto pk = public_of(c);
    const auto sig = signature_of(c);
    for (std::size_t i = 0; i < sig.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        auto bad = sig;
        bad[i] ^= static_cast<std::uint8_t>(1u << bit);
        EXPECT_FALSE(ed25519_verify(pk, message, bad)) << c.name << " signature byte " << i << " bit " << bit;
      }
    }
  }
}

TEST(Ed25519, RefusesAFlippedBitInThePublicKey) {
  for (const auto& c : kCases) {
    const auto message = unhex(c.message);
    const auto pk = public_of(c);
    const auto sig = signature_of(c);
    for (std::size_t i = 0; i < pk.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        auto bad = pk;
        bad[i] ^= static_cast<std::uint8_t>(1u << bit);
        EXPECT_FALSE(ed25519_verify(bad, message, sig)) << c.name << " key byte " << i << " bit " << bit;
      }
    }
  }
}

TEST(Ed25519, SignatureOfOneKeyDoesNotVerifyUnderAnother) {
  const auto& c1 = kCases[1];
  const auto& c2 = kCases[2];
  EXPECT_FALSE(ed25519_verify(public_of(c2), unhex(c1.message), signature_of(c1)));
}

TEST(Ed25519, GeneratedKeysSignAndVerify) {
  auto a = Ed25519KeyPair::generate();
  auto b = Ed25519KeyPair::generate();
  EXPECT_NE(a.public_key(), b.public_key());
  EXPECT_NE(to_hex(a.seed().span()), to_hex(b.seed().span()));
  // The seed alone reproduces the key pair.
  EXPECT_EQ(Ed25519KeyPair::from_seed(a.seed()).public_key(), a.public_key());

  std::vector<std::uint8_t> message = {'l', 'u', 'c', 'i', 'd'};
  auto sig = a.sign(message);
  EXPECT_TRUE(ed25519_verify(a.public_key(), message, sig));
  EXPECT_FALSE(ed25519_verify(b.public_key(), message, sig));
  // Ed25519 is deterministic.
  EXPECT_EQ(a.sign(message), sig);
}

}  // namespace
}  // namespace lucid::crypto
