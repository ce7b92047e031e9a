#include "lucid/sbom/spdx.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/crypto/sha256.h"
#include "lucid/sbom/purl.h"

namespace lucid::sbom {

using nlohmann::json;

namespace {

std::string spdx_id(std::string_view prefix, std::string_view name) {
  std::string out = "SPDXRef-" + std::string(prefix) + "-";
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '-';
  return out;
}

json purl_ref(const std::string& purl) {
  return json{
      {"referenceCategory", "PACKAGE-MANAGER"}, {"referenceType", "purl"}, {"referenceLocator", purl}};
}

}  // namespace

Result<GeneratedSbom> generate_spdx(const ImageContents& image, const DpkgDatabase& dpkg) {
  if (image.image.empty()) return fail(ErrorKind::kInvalidArgument, "sbom: image name is empty");
  GeneratedSbom out;
  // Debian packages owning the image's files, keyed by purl (sorted, deduplicated).
  std::map<std::string, const DebPackage*> debs;
  std::set<std::string> files(image.files.begin(), image.files.end());
  for (const auto& f : files) {
    auto owners = dpkg.owners(f);
    if (owners.empty()) out.unowned_files.push_back(f);
    for (const auto* p : owners)
      debs.emplace(debian_purl(p->name, p->version, p->arch, image.distro).str(), p);
  }
  std::map<std::string, const LucidBinary*> lucid;
  for (const auto& b : image.binaries) {
    if (b.name.empty() || b.version.empty())
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("sbom {}: a Lucid binary has no name or version", image.image));
    Purl p{"generic", "lucid", b.name, b.version, {}};
    lucid.emplace(p.str(), &b);
  }

  json packages = json::array();
  json relationships = json::array();
  json root{{"SPDXID", "SPDXRef-image"},
            {"name", image.image},
            {"downloadLocation", "NOASSERTION"},
            {"filesAnalyzed", false},
            {"primaryPackagePurpose", "CONTAINER"},
            {"supplier", "Organization: Lucid"}};
  if (!image.image_digest.empty()) {
    root["versionInfo"] = image.image_digest;
    if (image.image_digest.starts_with("sha256:"))
      root["checksums"] =
          json::array({{{"algorithm", "SHA256"}, {"checksumValue", image.image_digest.substr(7)}}});
  }
  packages.push_back(root);
  relationships.push_back({{"spdxElementId", "SPDXRef-DOCUMENT"},
                           {"relationshipType", "DESCRIBES"},
                           {"relatedSpdxElement", "SPDXRef-image"}});
  auto contain = [&](const std::string& id) {
    relationships.push_back(
        {{"spdxElementId", "SPDXRef-image"}, {"relationshipType", "CONTAINS"}, {"relatedSpdxElement", id}});
  };
  for (const auto& [purl, b] : lucid) {
    std::string id = spdx_id("lucid", b->name);
    json p{{"SPDXID", id},
           {"name", b->name},
           {"versionInfo", b->version},
           {"downloadLocation", "NOASSERTION"},
           {"filesAnalyzed", false},
           {"primaryPackagePurpose", "APPLICATION"},
           {"supplier", "Organization: Lucid"},
           {"externalRefs", json::array({purl_ref(purl)})}};
    if (!b->sha256.empty())
      p["checksums"] = json::array({{{"algorithm", "SHA256"}, {"checksumValue", b->sha256}}});
    packages.push_back(p);
    contain(id);
  }
  for (const auto& [purl, d] : debs) {
    std::string id = spdx_id("deb", d->name + "-" + d->arch);
    packages.push_back({{"SPDXID", id},
                        {"name", d->name},
                        {"versionInfo", d->version},
                        {"downloadLocation", "NOASSERTION"},
                        {"filesAnalyzed", false},
                        {"primaryPackagePurpose", "LIBRARY"},
                        {"supplier", "Organization: Debian"},
                        {"externalRefs", json::array({purl_ref(purl)})}});
    contain(id);
  }
  json doc{{"spdxVersion", "SPDX-2.3"},
           {"dataLicense", "CC0-1.0"},
           {"SPDXID", "SPDXRef-DOCUMENT"},
           {"name", image.image},
           {"documentNamespace", ""},
           {"creationInfo", {{"created", image.created}, {"creators", json::array({"Tool: lucidctl"})}}},
           {"documentDescribes", json::array({"SPDXRef-image"})},
           {"packages", packages},
           {"relationships", relationships}};
  std::string hash = crypto::sha256_digest(doc.dump()).substr(7);
  doc["documentNamespace"] =
      fmt::format("https://lucid.invalid/spdx/{}-{}", spdx_id("image", image.image).substr(14), hash);
  out.json = doc.dump(2) + "\n";
  return out;
}

Result<Sbom> parse_spdx(std::string_view json_text) {
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(ErrorKind::kCorrupt, "sbom: not a JSON object");
  if (!j.contains("spdxVersion") || !j["spdxVersion"].is_string() ||
      !j["spdxVersion"].get<std::string>().starts_with("SPDX-2."))
    return fail(ErrorKind::kCorrupt, "sbom: not an SPDX 2.x document (spdxVersion)");
  Sbom s;
  s.name = j.value("name", "");
  s.document_namespace = j.value("documentNamespace", "");
  if (j.contains("packages")) {
    if (!j["packages"].is_array()) return fail(ErrorKind::kCorrupt, "sbom: packages is not an array");
    for (const auto& p : j["packages"]) {
      if (!p.is_object()) return fail(ErrorKind::kCorrupt, "sbom: a package is not an object");
      SbomPackage pkg;
      pkg.spdx_id = p.contains("SPDXID") && p["SPDXID"].is_string() ? p["SPDXID"].get<std::string>() : "";
      pkg.name = p.contains("name") && p["name"].is_string() ? p["name"].get<std::string>() : "";
      pkg.version = p.contains("versionInfo") && p["versionInfo"].is_string()
                        ? p["versionInfo"].get<std::string>()
                        : "";
      if (p.contains("externalRefs") && p["externalRefs"].is_array())
        for (const auto& r : p["externalRefs"])
          if (r.is_object() && r.value("referenceType", "") == "purl" && r.contains("referenceLocator") &&
              r["referenceLocator"].is_string()) {
            pkg.purl = r["referenceLocator"].get<std::string>();
            break;
          }
      s.packages.push_back(std::move(pkg));
    }
  }
  return s;
}

std::vector<std::string> check_spdx_shape(std::string_view json_text) {
  std::vector<std::string> problems;
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {"document: not a JSON object"};
  auto need = [&](const json& obj, const std::string& where, std::initializer_list<const char*> fields) {
    for (const char* f : fields)
      if (!obj.contains(f)) problems.push_back(fmt::format("{}: missing required {}", where, f));
  };
  auto need_string = [&](const json& obj, const std::string& where, const char* f) {
    if (obj.contains(f) && !obj[f].is_string())
      problems.push_back(fmt::format("{}: {} is not a string", where, f));
  };
  need(j, "document", {"SPDXID", "creationInfo", "dataLicense", "name", "spdxVersion", "documentNamespace"});
  for (const char* f : {"SPDXID", "dataLicense", "name", "spdxVersion", "documentNamespace"})
    need_string(j, "document", f);
  if (j.contains("spdxVersion") && j["spdxVersion"] != "SPDX-2.3")
    problems.push_back("document: spdxVersion is not SPDX-2.3");
  if (j.contains("creationInfo")) {
    const json& ci = j["creationInfo"];
    if (!ci.is_object()) {
      problems.push_back("creationInfo: not an object");
    } else {
      need(ci, "creationInfo", {"created", "creators"});
      if (ci.contains("creators") && (!ci["creators"].is_array() || ci["creators"].empty()))
        problems.push_back("creationInfo: creators is not a non-empty array");
    }
  }
  static const std::set<std::string> kCategories = {"OTHER",    "PERSISTENT-ID",   "PERSISTENT_ID",
                                                    "SECURITY", "PACKAGE-MANAGER", "PACKAGE_MANAGER"};
  auto each = [&](const char* list, auto&& fn) {
    if (!j.contains(list)) return;
    if (!j[list].is_array()) {
      problems.push_back(fmt::format("{}: not an array", list));
      return;
    }
    for (std::size_t i = 0; i < j[list].size(); ++i) {
      std::string where = fmt::format("{}[{}]", list, i);
      if (!j[list][i].is_object())
        problems.push_back(where + ": not an object");
      else
        fn(j[list][i], where);
    }
  };
  each("packages", [&](const json& p, const std::string& where) {
    need(p, where, {"SPDXID", "downloadLocation", "name"});
    if (p.contains("externalRefs") && p["externalRefs"].is_array())
      for (const auto& r : p["externalRefs"]) {
        need(r, where + ".externalRefs", {"referenceCategory", "referenceLocator", "referenceType"});
        if (r.contains("referenceCategory") &&
            (!r["referenceCategory"].is_string() ||
             !kCategories.contains(r["referenceCategory"].get<std::string>())))
          problems.push_back(where + ".externalRefs: bad referenceCategory");
      }
    if (p.contains("checksums") && p["checksums"].is_array())
      for (const auto& c : p["checksums"]) need(c, where + ".checksums", {"algorithm", "checksumValue"});
  });
  each("files", [&](const json& f, const std::string& where) {
    need(f, where, {"SPDXID", "checksums", "fileName"});
  });
  each("relationships", [&](const json& r, const std::string& where) {
    need(r, where, {"spdxElementId", "relatedSpdxElement", "relationshipType"});
  });
  return problems;
}

}  // namespace lucid::sbom
