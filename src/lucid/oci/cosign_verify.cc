#include "lucid/oci/cosign_verify.h"

#include <algorithm>

#include <fmt/format.h>

#include "lucid/base/base64.h"
#include "lucid/oci/simple_signing.h"

namespace lucid::oci {

namespace fs = std::filesystem;

Result<SignerKeys> SignerKeys::load_dir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return fail(ErrorKind::kNotFound, fmt::format("{}: signer key directory not found", dir.string()));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".pem" || ext == ".pub")) files.push_back(e.path());
  }
  if (ec) return fail(ErrorKind::kIo, fmt::format("{}: {}", dir.string(), ec.message()));
  std::sort(files.begin(), files.end());
  SignerKeys set;
  for (const auto& f : files) {
    auto key = PublicKey::load(f);
    if (!key) return std::unexpected(key.error());
    set.add(std::move(*key));
  }
  return set;
}

Result<CosignVerified> verify_cosign_signatures(std::span<const CosignSignature> signatures,
                                                std::string_view expected_digest, const SignerKeys& keys,
                                                std::string_view image) {
  if (signatures.empty())
    return fail(ErrorKind::kAuthentication, fmt::format("{}: signature: none found", image));
  if (keys.empty())
    return fail(ErrorKind::kAuthentication, fmt::format("{}: signature: no policy keys", image));
  std::string claim_problem;  // a signature that verified but claims something else
  std::size_t malformed = 0;
  for (const auto& s : signatures) {
    auto sig = base64_decode(s.signature_base64, {.padded = true, .canonical = false});
    if (!sig) {
      ++malformed;
      continue;
    }
    auto payload = std::span(reinterpret_cast<const std::uint8_t*>(s.payload.data()), s.payload.size());
    for (const auto& key : keys.keys()) {
      if (!key.verify(payload, *sig)) continue;
      auto claim = parse_simple_signing(s.payload);
      if (!claim) {
        claim_problem =
            fmt::format("payload signed by {} is malformed: {}", key.name(), claim.error().message);
      } else if (claim->type != kCosignSignatureType) {
        claim_problem = fmt::format("payload signed by {} has type \"{}\"", key.name(), claim->type);
      } else if (claim->manifest_digest != expected_digest) {
        claim_problem = fmt::format("payload signed by {} claims digest {}, expected {}", key.name(),
                                    claim->manifest_digest, expected_digest);
      } else {
        return CosignVerified{key.name(), claim->docker_reference};
      }
    }
  }
  if (!claim_problem.empty())
    return fail(ErrorKind::kAuthentication, fmt::format("{}: signature: {}", image, claim_problem));
  return fail(ErrorKind::kAuthentication,
              fmt::format("{}: signature: none of {} signature(s) verifies with any of {} policy key(s){}",
                          image, signatures.size(), keys.keys().size(),
                          malformed ? fmt::format(" ({} not valid base64)", malformed) : std::string()));
}

}  // namespace lucid::oci
