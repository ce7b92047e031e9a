#include "lucid/oci/oci_registry.h"

#include <fmt/format.h>

#include "lucid/base/number.h"
#include "lucid/base/subprocess.h"
#include "lucid/crypto/sha256.h"
#include "lucid/oci/image_ref.h"

namespace lucid::oci {

namespace {

std::string status_error(const HttpResponse& r) {
  // Registry errors are JSON {"errors":[{"code":…,"message":…}]}; one line of it is enough.
  return fmt::format("HTTP {}{}{}", r.status, r.body.empty() ? "" : ": ", first_line(r.body, 160));
}

}  // namespace

std::string manifest_accept_header() {
  return fmt::format("{}, {}, {}, {}", kOciManifest, kOciIndex, kDockerManifestV2, kDockerManifestList);
}

RegistryClient::RegistryClient(std::string base_url, HttpOptions options)
    : base_(std::move(base_url)), options_(std::move(options)) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  options_.headers.erase("Accept");
}

std::string RegistryClient::url(std::string_view repo, std::string_view kind, std::string_view ref) const {
  return fmt::format("{}/v2/{}/{}/{}", base_, repo, kind, ref);
}

Result<std::optional<ManifestInfo>> RegistryClient::head_manifest(std::string_view repo,
                                                                  std::string_view reference) {
  HttpOptions o = options_;
  o.headers["Accept"] = manifest_accept_header();
  std::string u = url(repo, "manifests", reference);
  auto r = http_request("HEAD", u, nullptr, "", o);
  if (!r) return std::unexpected(r.error());
  if (r->status == 404) return std::optional<ManifestInfo>();
  if (r->status != 200) return fail(ErrorKind::kIo, fmt::format("HEAD {}: {}", u, status_error(*r)));
  ManifestInfo info{r->header("docker-content-digest"), r->header("content-type"), 0};
  std::string len = r->header("content-length");
  if (!len.empty()) {
    auto size = parse_number<long>(len, "Content-Length");
    if (!size) return fail(ErrorKind::kCorrupt, fmt::format("HEAD {}: {}", u, size.error().message));
    info.size = *size;
  }
  if (!is_sha256_digest(info.digest))
    return fail(ErrorKind::kCorrupt, fmt::format("HEAD {}: no sha256 Docker-Content-Digest", u));
  return std::optional<ManifestInfo>(info);
}

Result<Manifest> RegistryClient::get_manifest(std::string_view repo, std::string_view reference) {
  HttpOptions o = options_;
  o.headers["Accept"] = manifest_accept_header();
  std::string u = url(repo, "manifests", reference);
  auto r = http_get(u, o);
  if (!r) return std::unexpected(r.error());
  if (r->status == 404)
    return fail(ErrorKind::kNotFound, fmt::format("{}:{}: manifest not found", repo, reference));
  if (r->status != 200) return fail(ErrorKind::kIo, fmt::format("GET {}: {}", u, status_error(*r)));
  Manifest m;
  m.info.digest = crypto::sha256_digest(r->body);
  m.info.media_type = r->header("content-type");
  m.info.size = static_cast<long>(r->body.size());
  std::string claimed = r->header("docker-content-digest");
  if (!claimed.empty() && claimed != m.info.digest)
    return fail(ErrorKind::kCorrupt, fmt::format("{}:{}: manifest bytes hash to {} but the registry says {}",
                                                 repo, reference, m.info.digest, claimed));
  if (reference.starts_with("sha256:") && reference != m.info.digest)
    return fail(ErrorKind::kCorrupt,
                fmt::format("{}@{}: manifest bytes hash to {}", repo, reference, m.info.digest));
  m.bytes = std::move(r->body);
  return m;
}

Result<std::string> RegistryClient::put_manifest(std::string_view repo, std::string_view reference,
                                                 std::string_view bytes, std::string_view media_type) {
  std::string u = url(repo, "manifests", reference);
  std::string body(bytes);
  auto r = http_request("PUT", u, &body, std::string(media_type), options_);
  if (!r) return std::unexpected(r.error());
  if (r->status != 201) return fail(ErrorKind::kIo, fmt::format("PUT {}: {}", u, status_error(*r)));
  std::string digest = crypto::sha256_digest(bytes);
  std::string claimed = r->header("docker-content-digest");
  if (!claimed.empty() && claimed != digest)
    return fail(ErrorKind::kCorrupt, fmt::format("PUT {}: registry stored digest {} but the bytes hash to {}",
                                                 u, claimed, digest));
  return digest;
}

Result<bool> RegistryClient::blob_exists(std::string_view repo, std::string_view digest) {
  std::string u = url(repo, "blobs", digest);
  auto r = http_request("HEAD", u, nullptr, "", options_);
  if (!r) return std::unexpected(r.error());
  if (r->status == 200) return true;
  if (r->status == 404) return false;
  return fail(ErrorKind::kIo, fmt::format("HEAD {}: {}", u, status_error(*r)));
}

Result<std::string> RegistryClient::get_blob(std::string_view repo, std::string_view digest) {
  std::string u = url(repo, "blobs", digest);
  HttpOptions o = options_;
  auto r = http_get(u, o);
  if (!r) return std::unexpected(r.error());
  if (r->status == 404) return fail(ErrorKind::kNotFound, fmt::format("{}@{}: blob not found", repo, digest));
  if (r->status != 200) return fail(ErrorKind::kIo, fmt::format("GET {}: {}", u, status_error(*r)));
  std::string got = crypto::sha256_digest(r->body);
  if (got != digest)
    return fail(ErrorKind::kCorrupt, fmt::format("{}@{}: blob bytes hash to {}", repo, digest, got));
  return std::move(r->body);
}

Result<std::string> RegistryClient::push_blob(std::string_view repo, std::string_view bytes) {
  std::string digest = crypto::sha256_digest(bytes);
  auto exists = blob_exists(repo, digest);
  if (!exists) return std::unexpected(exists.error());
  if (*exists) return digest;
  std::string start = fmt::format("{}/v2/{}/blobs/uploads/", base_, repo);
  auto r = http_request("POST", start, nullptr, "", options_);
  if (!r) return std::unexpected(r.error());
  if (r->status != 202) return fail(ErrorKind::kIo, fmt::format("POST {}: {}", start, status_error(*r)));
  std::string location = r->header("location");
  if (location.empty()) return fail(ErrorKind::kIo, fmt::format("POST {}: no Location header", start));
  if (location.starts_with("/")) location = base_ + location;
  location += location.find('?') == std::string::npos ? "?" : "&";
  location += "digest=" + digest;
  std::string body(bytes);
  auto put = http_request("PUT", location, &body, "application/octet-stream", options_);
  if (!put) return std::unexpected(put.error());
  if (put->status != 201)
    return fail(ErrorKind::kIo, fmt::format("PUT blob {} to {}: {}", digest, repo, status_error(*put)));
  std::string claimed = put->header("docker-content-digest");
  if (!claimed.empty() && claimed != digest)
    return fail(ErrorKind::kCorrupt,
                fmt::format("blob upload to {}: registry says {}, bytes hash to {}", repo, claimed, digest));
  return digest;
}

}  // namespace lucid::oci
