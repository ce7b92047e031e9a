// The chain services' configuration: a genesis spelled out in a cluster's .env (CHAIN_ID,
// CHAIN_VALIDATORS, CHAIN_GENESIS_TIME_MS) is the genesis a file with the same fields gives, with the
// same hash; a key's seed given in the environment is taken out of it, and a malformed one is
// refused without showing it.
#include <cstdlib>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "chain_client.h"
#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/chain/service_config.h"
#include "lucid/chain/signed_document.h"
#include "lucid/seal/keys.h"
#include "testing/testing.h"

namespace lucid::chain {
namespace {

TEST(ServiceConfigTest, AGenesisSpelledOutInTheEnvironmentIsTheFilesGenesis) {
  testing::ScratchDir dir;
  const auto a = test_client::fixed_key(0x21).public_key();
  const auto b = test_client::fixed_key(0x22).public_key();
  const Genesis genesis{"lucid-canary", {a, b}, 1796000000000};
  ASSERT_TRUE(write_file_atomic(dir / "genesis.json", bytes_of(genesis_to_json(genesis).dump())));
  auto from_file = service_genesis(dir / "genesis.json");
  ASSERT_TRUE(from_file.has_value()) << from_file.error().message;

  testing::ScopedEnv id("CHAIN_ID", "lucid-canary");
  testing::ScopedEnv validators("CHAIN_VALIDATORS", fmt::format("{}, {}", to_hex(a), to_hex(b)));
  testing::ScopedEnv time("CHAIN_GENESIS_TIME_MS", "1796000000000");
  auto from_env = service_genesis(dir / "absent.json");  // the file is not read
  ASSERT_TRUE(from_env.has_value()) << from_env.error().message;
  EXPECT_EQ(genesis_hash(*from_env), genesis_hash(*from_file));

  testing::ScopedEnv bad("CHAIN_VALIDATORS", to_hex(a) + ",not-a-key");
  auto refused = service_genesis(dir / "genesis.json");
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("CHAIN_VALIDATORS"), std::string::npos) << refused.error().message;
  testing::ScopedEnv bad_time("CHAIN_GENESIS_TIME_MS", "soon");
  EXPECT_FALSE(service_genesis(dir / "genesis.json").has_value());
}

TEST(ServiceConfigTest, ASeedInTheEnvironmentIsTakenOutOfItAndNeverShown) {
  testing::ScratchDir dir;
  const auto expected = test_client::fixed_key(0x33);
  testing::ScopedEnv seed("LUCID_TEST_SEED", to_hex(expected.seed().span()));
  auto key = seal::service_key("LUCID_TEST_SEED", dir / "absent.key");
  ASSERT_TRUE(key.has_value()) << key.error().message;
  EXPECT_EQ(key->public_key(), expected.public_key());
  EXPECT_EQ(std::getenv("LUCID_TEST_SEED"), nullptr) << "the seed stays in the environment";

  const std::string malformed = "zz" + std::string(62, '7');
  testing::ScopedEnv bad("LUCID_TEST_SEED", malformed);
  auto refused = seal::service_key("LUCID_TEST_SEED", dir / "absent.key");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message.find(malformed.substr(2)), std::string::npos) << refused.error().message;

  // Without the variable: the key file, and an error naming both when it is absent too.
  auto missing = seal::service_key("LUCID_TEST_SEED", dir / "absent.key");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("LUCID_TEST_SEED"), std::string::npos) << missing.error().message;
}

}  // namespace
}  // namespace lucid::chain
