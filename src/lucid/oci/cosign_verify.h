// Verifying cosign key-based signatures: a set of trusted signer keys (PEM files in
// policies/signers/) and the check that some signature over a raw payload binds the expected digest.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/oci/signing_key.h"

namespace lucid::oci {

// One signature as found in a `.sig` manifest layer: the payload bytes exactly as stored, and the
// annotation `dev.cosignproject.cosign/signature` (base64 of the DER signature).
struct CosignSignature {
  std::string payload;
  std::string signature_base64;
};

// The policy keys. Loading a directory reads every `*.pem` and `*.pub` file (sorted by name); a file
// that is not a public key is an error naming it, so a broken policy never silently trusts less.
class SignerKeys {
 public:
  static Result<SignerKeys> load_dir(const std::filesystem::path& dir);
  void add(PublicKey key) { keys_.push_back(std::move(key)); }
  const std::vector<PublicKey>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }

 private:
  std::vector<PublicKey> keys_;
};

struct CosignVerified {
  std::string key_name;          // the policy key that verified
  std::string docker_reference;  // as claimed in the payload
};

// Accepts when any signature verifies over its raw payload bytes with any key AND that payload's
// critical.type is cosign's and its critical.image.docker-manifest-digest equals `expected_digest`.
// kAuthentication otherwise, with the most specific reason seen (wrong digest claim beats unknown key).
// `image` only names the image in messages.
Result<CosignVerified> verify_cosign_signatures(std::span<const CosignSignature> signatures,
                                                std::string_view expected_digest, const SignerKeys& keys,
                                                std::string_view image);

}  // namespace lucid::oci
