// `lucidctl verify --cluster ID [REPO] [--registry URL] [--service S…] [--json]`: the supply-chain checks
// of every image in the cluster's rendered plan (lucid::imagepolicy verify_images). Each refusal names the
// image, the check and the reason.
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cmd_verify.h"
#include "lucid/imagepolicy/verify_images.h"

namespace lucidctl {

namespace imagepolicy = lucid::imagepolicy;
namespace oci = lucid::oci;

std::string registry_url(const std::string& flag, const std::string& fallback) {
  std::string u = flag;
  if (u.empty()) {
    const char* env = std::getenv("LUCID_REGISTRY");
    if (env != nullptr) u = env;
  }
  if (u.empty()) u = fallback;
  if (u.empty()) return u;
  if (!u.starts_with("http://") && !u.starts_with("https://")) u = "http://" + u;
  while (u.back() == '/') u.pop_back();
  return u;
}

void print_cluster_verdict(const imagepolicy::ClusterVerdict& v, const std::string& indent) {
  for (const auto& i : v.images) {
    if (i.ok())
      fmt::print("{}ok      {} {}: signed by {}, SBOM {} packages\n", indent, i.service, i.digest, i.signer,
                 i.sbom_packages);
    else
      fmt::print("{}REFUSED {}\n", indent, i.service);
    for (const auto& f : i.findings)
      fmt::print("{}  {:<7} {}{}\n", indent, imagepolicy::to_string(f.level), f.message,
                 f.unreachable ? " [no verdict: the mirror's state, not the image's]" : "");
  }
  std::size_t refused = 0;
  for (const auto& i : v.images) refused += i.ok() ? 0 : 1;
  fmt::print("{}cluster {}: {} image(s), {} refused\n", indent, v.cluster, v.images.size(), refused);
}

int run_verify_cluster(const VerifyArgs& args) {
  std::string url = registry_url(args.registry);
  if (url.empty()) {
    fmt::print(stderr,
               "lucidctl verify --cluster: give --registry URL (or set LUCID_REGISTRY): the mirror\n");
    return 2;
  }
  auto policy = imagepolicy::load_image_policy(args.repo);
  if (!policy) {
    fmt::print(stderr, "lucidctl verify: {}\n", policy.error().message);
    return 2;
  }
  oci::RegistryClient client(url);
  auto verdict = imagepolicy::verify_cluster_images(args.repo, *args.cluster, client, *policy, args.services);
  if (!verdict) {
    fmt::print(stderr, "lucidctl verify: {}\n", verdict.error().message);
    return 2;
  }
  if (args.json)
    fmt::print("{}\n", imagepolicy::to_json(*verdict).dump());
  else
    print_cluster_verdict(*verdict, "");
  return verdict->ok() ? 0 : 1;
}

}  // namespace lucidctl
