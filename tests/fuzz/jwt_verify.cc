// libFuzzer target: a session token as an untrusted client could send it. The first byte picks the
// mode: even — the rest is the token; odd — the rest is a "header.payload" signing input that is
// signed with the key of tests/vectors/jwt/eddsa.json first, so header and payload parsing is reached
// behind a valid signature. verify() must refuse with an error or return claims that hold at its
// `now` — never crash, hang or allocate beyond the token's bound. Seeds (corpus/jwt_verify/): jose's
// token of the vectors, its signing input, and an alg "none" token.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "lucid/base/base64.h"
#include "lucid/base/hex.h"
#include "lucid/jwt/jwt.h"

namespace {

struct Fixture {
  lucid::crypto::Ed25519KeyPair key;
  lucid::jwt::KeySet keys;
  lucid::jwt::VerifyOptions options;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    lucid::crypto::Ed25519Seed seed;
    if (!lucid::from_hex_into("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                              seed.span())) {
      std::abort();
    }
    Fixture out{lucid::crypto::Ed25519KeyPair::from_seed(seed), {}, {}};
    if (!out.keys.add("gateway-2026-01", out.key.public_key())) {
      std::abort();
    }
    out.options = lucid::jwt::VerifyOptions{.issuer = "lucid-sessions-gateway",
                                            .audience = "lucid-sessions-index",
                                            .now = 1767225660,
                                            .leeway_seconds = 30,
                                            .max_lifetime_seconds = 86400};
    return out;
  }();
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const Fixture& f = fixture();
  std::string token(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 1) != 0) {
    auto signature = f.key.sign(std::span(data + 1, size - 1));
    token += '.';
    token += lucid::base64url_encode(signature);
  }
  auto claims = lucid::jwt::verify(token, f.keys, f.options);
  if (!claims) {
    return 0;
  }
  // What verify() promises of the claims it returns.
  const auto& o = f.options;
  if (token.size() > lucid::jwt::kMaxTokenBytes || !claims->payload().is_object() ||
      o.now >= claims->exp() + o.leeway_seconds || claims->iat() > o.now + o.leeway_seconds ||
      claims->exp() < claims->iat() || claims->exp() - claims->iat() > o.max_lifetime_seconds ||
      claims->payload().value("iss", std::string()) != o.issuer || claims->kid() != "gateway-2026-01") {
    std::abort();
  }
  for (const auto& scope : claims->scopes()) {
    if (scope.empty() || scope.find(' ') != std::string::npos || !claims->has_scope(scope)) {
      std::abort();
    }
  }
  return 0;
}
