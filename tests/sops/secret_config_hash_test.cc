// Config hashes (the com.lucid.config-hash label) of services that use SOPS secrets, with the real
// deploy/ secrets and demo keys (issue 12 item 5): the label is the same with and without the key,
// is not the unkeyed hash of the service with its values (which would let a label reader test
// guesses offline), and still changes when a secret is rotated — only for the services using it.
#include <gtest/gtest.h>

#include <fstream>

#include "lucid/base/files.h"
#include "lucid/crypto/age_keys.h"
#include "lucid/render/render.h"
#include "lucid/sops/sops_file.h"
#include "lucid/sops/sops_resolver.h"
#include "testing/testing.h"

namespace lucid::sops {
namespace {

namespace fs = std::filesystem;
constexpr const char* kCluster = "edge-node-eu-1";

fs::path source_dir() {
  return testing::project_vectors_dir().parent_path().parent_path();
}

std::vector<crypto::X25519Identity> operator_key() {
  auto text = read_text_file(testing::project_vectors_dir() / "deploy-demo-keys" / "operator-demo.agekey");
  EXPECT_TRUE(text);
  auto ids = crypto::parse_age_identity_file(*text);
  EXPECT_TRUE(ids);
  return ids ? *ids : std::vector<crypto::X25519Identity>{};
}

bool uses_secret(const nlohmann::json& service) {
  return service.dump().find("enc:sops:") != std::string::npos;
}

class SecretConfigHash : public ::testing::Test {
 protected:
  void SetUp() override { fs::copy(source_dir() / "deploy", repo_.path(), fs::copy_options::recursive); }

  render::Plan render_with_key() {
    SopsSecretResolver resolver(repo_.path() / "secrets", operator_key());
    auto plan = render::render_cluster(repo_.path(), kCluster, resolver);
    EXPECT_TRUE(plan) << plan.error().message;
    return plan ? std::move(*plan) : render::Plan{};
  }
  render::Plan render_without_key() {
    render::LeaveReferences leave;
    auto plan = render::render_cluster(repo_.path(), kCluster, leave);
    EXPECT_TRUE(plan) << plan.error().message;
    return plan ? std::move(*plan) : render::Plan{};
  }

  testing::ScratchDir repo_;
};

TEST_F(SecretConfigHash, SameWithAndWithoutTheKeyAndNotAHashOfTheValues) {
  auto unresolved = render_without_key();
  auto resolved = render_with_key();
  ASSERT_FALSE(resolved.secrets.empty());
  for (const auto& s : resolved.secrets) EXPECT_TRUE(s.resolved) << s.ref.text();
  EXPECT_EQ(resolved.service_hashes, unresolved.service_hashes);
  int with_secrets = 0;
  for (const auto& [svc, hash] : resolved.service_hashes) {
    const auto& plain = resolved.document["services"][svc];
    if (!uses_secret(unresolved.document["services"][svc])) {
      EXPECT_EQ(hash, render::config_hash(plain)) << svc << ": a service without secrets keeps its hash";
      continue;
    }
    ++with_secrets;
    EXPECT_EQ(plain.dump().find("enc:sops:"), std::string::npos) << svc << " should hold resolved values";
    // What a label reader who guessed every value right would compute: not the label.
    EXPECT_NE(hash, render::config_hash(plain)) << svc;
    EXPECT_NE(resolved.apply_yaml.find(hash), std::string::npos) << svc << ": the label carries the hash";
  }
  EXPECT_GT(with_secrets, 0) << "no service of " << kCluster << " uses a secret: the case is not exercised";
}

TEST_F(SecretConfigHash, RotatingASecretChangesOnlyTheServicesUsingIt) {
  auto before = render_with_key();
  // Rotate s3.secret_key as `lucidctl secrets edit` would: same data key, new value, new MAC.
  fs::path file = repo_.path() / "secrets" / (std::string(kCluster) + ".enc.yaml");
  auto text = read_text_file(file);
  ASSERT_TRUE(text);
  auto parsed = sops_parse(*text, SopsFormat::kYaml, file.string());
  ASSERT_TRUE(parsed) << parsed.error().message;
  auto plain = sops_decrypt(*parsed, operator_key(), file.string());
  ASSERT_TRUE(plain) << plain.error().message;
  SopsNode edited = plain->data;
  SopsNode* s3 = edited.find("s3");
  ASSERT_NE(s3, nullptr);
  SopsNode* secret = s3->find("secret_key");
  ASSERT_NE(secret, nullptr);
  secret->text += "-rotated";
  auto rotated = sops_reencrypt(*parsed, *plain, std::move(edited));
  ASSERT_TRUE(rotated) << rotated.error().message;
  auto bytes = sops_serialize(*rotated);
  ASSERT_TRUE(bytes);
  std::ofstream(file, std::ios::trunc) << *bytes;

  auto after = render_with_key();
  EXPECT_EQ(after.service_hashes, render_without_key().service_hashes);
  int changed = 0;
  for (const auto& [svc, hash] : before.service_hashes) {
    bool uses = before.document["services"][svc].dump().find("-rotated") == std::string::npos &&
                after.document["services"][svc].dump().find("-rotated") != std::string::npos;
    if (uses) {
      ++changed;
      EXPECT_NE(after.service_hashes.at(svc), hash) << svc << " uses the rotated secret";
    } else if (!uses_secret(render_without_key().document["services"][svc])) {
      EXPECT_EQ(after.service_hashes.at(svc), hash) << svc << " uses no secret";
    }
  }
  EXPECT_GT(changed, 0) << "no service uses s3.secret_key: the case is not exercised";
}

}  // namespace
}  // namespace lucid::sops
