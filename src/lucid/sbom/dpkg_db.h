// The Debian package database (dpkg's admin directory): installed packages with version and
// architecture (dpkg-query), and which package owns a file path (info/*.list), for building SBOMs.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::sbom {

struct DebPackage {
  std::string name;
  std::string version;
  std::string arch;
};

class DpkgDatabase {
 public:
  // Runs `dpkg-query --admindir=<dir> -W` for installed ("ii"/"hi") packages and reads every
  // <dir>/info/<pkg>[:arch].list. kNotFound when the directory or dpkg-query is missing.
  static Result<DpkgDatabase> load(const std::filesystem::path& admin_dir = "/var/lib/dpkg");
  // Builds a database from parts (tests, or an image's own dpkg status).
  static DpkgDatabase from_parts(std::vector<DebPackage> packages,
                                 const std::vector<std::pair<std::string, std::vector<std::string>>>& lists);

  // Packages owning `path` (absolute). Tries the /usr-merged twin too (/bin/x ↔ /usr/bin/x).
  // Pass file paths: directory entries are shared by many packages and say nothing about contents.
  std::vector<const DebPackage*> owners(std::string_view path) const;
  const std::vector<DebPackage>& packages() const { return packages_; }
  std::size_t path_count() const { return owner_.size(); }  // files and directories listed

 private:
  std::vector<DebPackage> packages_;
  std::unordered_map<std::string, std::vector<std::size_t>> owner_;  // path → indices into packages_
};

}  // namespace lucid::sbom
