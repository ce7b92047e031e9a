#include "lucid/sbom/dpkg_db.h"

#include <fstream>
#include <map>

#include <fmt/format.h>

#include "lucid/base/subprocess.h"

namespace lucid::sbom {

namespace fs = std::filesystem;

DpkgDatabase DpkgDatabase::from_parts(
    std::vector<DebPackage> packages,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& lists) {
  DpkgDatabase db;
  db.packages_ = std::move(packages);
  std::map<std::string, std::size_t> by_key;  // "name" and "name:arch"
  for (std::size_t i = 0; i < db.packages_.size(); ++i) {
    by_key.emplace(db.packages_[i].name, i);
    by_key[db.packages_[i].name + ":" + db.packages_[i].arch] = i;
  }
  for (const auto& [key, files] : lists) {
    auto it = by_key.find(key);
    if (it == by_key.end()) continue;  // a list left behind by a removed package
    for (const auto& f : files) {
      auto& v = db.owner_[f];
      if (v.empty() || v.back() != it->second) v.push_back(it->second);
    }
  }
  return db;
}

Result<DpkgDatabase> DpkgDatabase::load(const fs::path& admin_dir) {
  std::error_code ec;
  if (!fs::is_directory(admin_dir / "info", ec))
    return fail(ErrorKind::kNotFound, fmt::format("{}: no dpkg database", admin_dir.string()));
  ProcessOptions query;
  query.argv = {"dpkg-query", "--admindir=" + admin_dir.string(), "-W",
                "-f=${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n"};
  auto r = run_process(query);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0)
    return fail(ErrorKind::kIo, fmt::format("dpkg-query failed: {}", first_line(r->err)));
  std::vector<DebPackage> packages;
  std::size_t pos = 0;
  while (pos < r->out.size()) {
    auto nl = r->out.find('\n', pos);
    std::string_view line(r->out.data() + pos, (nl == std::string::npos ? r->out.size() : nl) - pos);
    pos = nl == std::string::npos ? r->out.size() : nl + 1;
    std::vector<std::string_view> f;
    std::size_t s = 0;
    for (std::size_t t; (t = line.find('\t', s)) != std::string_view::npos; s = t + 1)
      f.push_back(line.substr(s, t - s));
    f.push_back(line.substr(s));
    if (f.size() != 4 || f[3].size() < 2 || f[3][1] != 'i') continue;  // only installed packages
    packages.push_back(DebPackage{std::string(f[0]), std::string(f[1]), std::string(f[2])});
  }
  std::vector<std::pair<std::string, std::vector<std::string>>> lists;
  for (const auto& e : fs::directory_iterator(admin_dir / "info", ec)) {
    if (e.path().extension() != ".list") continue;
    std::ifstream in(e.path());
    std::vector<std::string> files;
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line != "/.") files.push_back(line);  // directories too; callers ask for files
    lists.emplace_back(e.path().stem().string(), std::move(files));
  }
  if (ec) return fail(ErrorKind::kIo, fmt::format("{}/info: {}", admin_dir.string(), ec.message()));
  return from_parts(std::move(packages), lists);
}

std::vector<const DebPackage*> DpkgDatabase::owners(std::string_view path) const {
  std::vector<const DebPackage*> out;
  auto add = [&](const std::string& p) {
    if (auto it = owner_.find(p); it != owner_.end())
      for (auto i : it->second) {
        bool seen = false;
        for (auto* o : out) seen |= o == &packages_[i];
        if (!seen) out.push_back(&packages_[i]);
      }
  };
  std::string p(path);
  add(p);
  static constexpr std::string_view kMerged[] = {"/bin/",   "/sbin/",  "/lib/",
                                                 "/lib64/", "/lib32/", "/libx32/"};
  for (auto m : kMerged) {
    if (p.starts_with(m)) add("/usr" + p);
    if (p.starts_with(std::string("/usr") + std::string(m))) add(p.substr(4));
  }
  return out;
}

}  // namespace lucid::sbom
