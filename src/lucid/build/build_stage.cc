#include "lucid/build/build_stage.h"

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/subprocess.h"
#include "lucid/build/pin.h"
#include "lucid/build/rootfs.h"
#include "lucid/oci/image_signature.h"
#include "lucid/oci/oci_manifest.h"
#include "lucid/oci/oci_registry.h"
#include "lucid/oci/sbom_attachment.h"
#include "lucid/oci/signing_key.h"
#include "lucid/sbom/dpkg_db.h"
#include "lucid/sbom/spdx.h"

namespace lucid::build {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

Result<std::string> docker(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                           const std::string& what) {
  std::vector<std::string> argv{"env", "DOCKER_BUILDKIT=0", "docker"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions po;
  po.argv = argv;
  po.timeout = timeout;
  auto r = run_process(po);
  if (!r) return fail(r.error().kind, fmt::format("{}: {}", what, r.error().message));
  if (r->exit_code != 0) {
    std::string err = r->err.empty() ? r->out : r->err;
    // The last line of docker's output carries the reason.
    while (!err.empty() && err.back() == '\n') err.pop_back();
    auto nl = err.rfind('\n');
    return fail(ErrorKind::kIo, fmt::format("{}: docker exited {}: {}", what, r->exit_code,
                                            first_line(nl == std::string::npos ? err : err.substr(nl + 1))));
  }
  std::string out = r->out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

void say(const BuildOptions& o, const std::string& line) {
  if (o.progress) o.progress(line);
}

Result<BuiltImage> build_one(const BuildOptions& o, const ImageSpec& spec, const sbom::DpkgDatabase* dpkg,
                             const oci::PrivateKey* key) {
  BuiltImage img;
  img.name = spec.name;
  img.stage = spec.stage;
  img.local_tag = fmt::format("{}/{}:{}", o.local_prefix, spec.name, o.version);
  say(o, fmt::format("[{}] collecting files (binaries, programs, shared libraries)", spec.name));
  auto rootfs = collect_rootfs(spec, o.bin_dir, o.version);
  if (!rootfs) return std::unexpected(rootfs.error());
  img.files = rootfs->files.size();
  fs::path ctx = o.work_dir / spec.name;
  std::error_code ec;
  fs::remove_all(ctx, ec);
  if (auto s = write_build_context(spec, *rootfs, o.version, ctx); !s)
    return fail(s.error().kind, fmt::format("image {}: {}", spec.name, s.error().message));
  say(o, fmt::format("[{}] docker build ({} files) -> {}", spec.name, img.files, img.local_tag));
  auto id = docker({"build", "-q", "--force-rm", "-t", img.local_tag, ctx.string()}, 15min,
                   fmt::format("image {}: build", spec.name));
  if (!id) return std::unexpected(id.error());
  img.image_id = *id;
  fs::remove_all(ctx, ec);
  if (!o.push) return img;

  std::string repository = "lucid/" + spec.name;
  img.pushed = fmt::format("{}/{}:{}", *o.push, repository, o.version);
  say(o, fmt::format("[{}] docker push {}", spec.name, img.pushed));
  if (auto t = docker({"tag", img.local_tag, img.pushed}, 60s, fmt::format("image {}: tag", spec.name)); !t)
    return std::unexpected(t.error());
  auto pushed = docker({"push", img.pushed}, 15min, fmt::format("image {}: push", spec.name));
  (void)docker({"rmi", img.pushed}, 60s,
               "untag");  // the local tag stays; the mirror's name was only for the push
  if (!pushed) return std::unexpected(pushed.error());

  HttpOptions http;
  http.timeout = 60s;
  oci::RegistryClient client("http://" + *o.push, http);
  auto head = client.head_manifest(repository, o.version);
  if (!head)
    return fail(head.error().kind, fmt::format("image {}: registry: {}", spec.name, head.error().message));
  if (!*head)
    return fail(ErrorKind::kNotFound,
                fmt::format("image {}: registry: tag {} missing after push", spec.name, o.version));
  img.digest = (*head)->digest;
  say(o, fmt::format("[{}] registry digest {}", spec.name, img.digest));

  sbom::ImageContents contents;
  contents.image = fmt::format("{}/{}", o.registry_name, repository);
  contents.image_digest = img.digest;
  contents.binaries = rootfs->binaries;
  contents.files = rootfs->sbom_paths;
  if (!o.created.empty()) contents.created = o.created;
  auto sbom = sbom::generate_spdx(contents, *dpkg);
  if (!sbom)
    return fail(sbom.error().kind, fmt::format("image {}: sbom: {}", spec.name, sbom.error().message));
  auto parsed = sbom::parse_spdx(sbom->json);
  img.sbom_packages = parsed ? parsed->packages.size() : 0;
  img.unowned_files = sbom->unowned_files;
  // The SBOM goes out only as an attestation signed with the image key and naming this digest, so
  // a verifier can tell it belongs to the image (an unsigned SBOM could be swapped by anyone).
  auto attested = oci::attest_sbom(client, repository, img.digest, contents.image, sbom->json, *key);
  if (!attested)
    return fail(attested.error().kind,
                fmt::format("image {}: sbom: {}", spec.name, attested.error().message));
  img.sbom_digest = *attested;
  say(o, fmt::format("[{}] SBOM attested ({} packages, {})", spec.name, img.sbom_packages,
                     oci::cosign_tag(img.digest, ".att")));

  auto sig = oci::sign_image(client, repository, img.digest, contents.image, *key);
  if (!sig) return fail(sig.error().kind, fmt::format("image {}: sign: {}", spec.name, sig.error().message));
  img.signature_digest = *sig;
  say(o, fmt::format("[{}] signed ({} key)", spec.name, key->public_key().algorithm()));
  return img;
}

}  // namespace

Result<BuildReport> build_stage(const BuildOptions& o) {
  std::vector<const ImageSpec*> specs;
  for (const auto& s : o.specs)
    if (s.stage == o.stage) specs.push_back(&s);
  if (specs.empty())
    return fail(ErrorKind::kNotFound, fmt::format("stage {}: no images in the image list", o.stage));
  if (o.repo && !o.push)
    return fail(ErrorKind::kInvalidArgument,
                "--repo needs --push: only digests read back from the mirror are pinned");
  std::optional<oci::PrivateKey> key;
  std::optional<sbom::DpkgDatabase> dpkg;
  if (o.push) {
    if (!o.key)
      return fail(ErrorKind::kInvalidArgument, "--push needs --key FILE: every pushed image is signed");
    auto k = oci::PrivateKey::load(*o.key);
    if (!k) return std::unexpected(k.error());
    key = std::move(*k);
    auto d = sbom::DpkgDatabase::load();
    if (!d) return fail(d.error().kind, fmt::format("sbom: host dpkg database: {}", d.error().message));
    dpkg = std::move(*d);
  }
  // Read the compose file first: a repo we cannot pin into fails before anything is built.
  std::string compose_before;
  fs::path compose;
  if (o.repo) {
    compose = *o.repo / kComposePath;
    auto t = read_text_file(compose);
    if (!t) return fail(t.error().kind, fmt::format("{}: cannot be read", compose.string()));
    compose_before = std::move(*t);
  }
  BuildReport report;
  for (const ImageSpec* s : specs) {
    auto img = build_one(o, *s, dpkg ? &*dpkg : nullptr, key ? &*key : nullptr);
    if (!img) return std::unexpected(img.error());
    report.images.push_back(std::move(*img));
  }
  if (!o.repo) return report;

  std::map<std::string, PinTarget> targets;
  for (const auto& img : report.images) {
    const ImageSpec* spec = nullptr;
    for (const ImageSpec* s : specs)
      if (s->name == img.name) spec = s;
    if (spec && spec->pin) targets["lucid/" + img.name] = {o.version, img.digest};
  }
  auto pinned = pin_images(compose_before, targets);
  if (!pinned) return fail(pinned.error().kind, fmt::format("{}: {}", kComposePath, pinned.error().message));
  for (const auto& u : pinned->unmatched)
    report.notes.push_back(fmt::format("{}: no image line names {}; nothing pinned for it", kComposePath, u));
  report.compose_file = kComposePath;
  if (pinned->changes.empty()) return report;
  report.diff = unified_diff(compose_before, pinned->text, std::string("a/") + kComposePath,
                             std::string("b/") + kComposePath);
  auto& text = pinned->text;
  if (auto s =
          write_file_atomic(compose, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, 0644);
      !s)
    return std::unexpected(s.error());
  say(o, fmt::format("pinned {} image line(s) in {}", pinned->changes.size(), kComposePath));
  return report;
}

}  // namespace lucid::build
