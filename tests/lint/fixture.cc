#include "lint/fixture.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "lucid/yaml/loader.h"

namespace lucid::lint::testing {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::string field(const yaml::Node& n, const char* key) {
  const yaml::Node* v = n.find(key);
  return v && v->is_scalar() ? v->value : std::string();
}

yaml::Node load(const fs::path& fixture) {
  auto doc = yaml::load_file(fixture / "fixture.yaml");
  if (!doc) throw std::runtime_error(doc.error().message);
  return std::move(*doc);
}

}  // namespace

fs::path fixtures_dir() {
  return fs::path(LUCID_SOURCE_DIR) / "tests/lint/fixtures";
}

void materialize(const fs::path& fixture, const fs::path& into) {
  fs::copy(fixtures_dir() / "base", into, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  for (const auto& e : fs::recursive_directory_iterator(fixture)) {
    if (!e.is_regular_file() || e.path().filename() == "fixture.yaml") continue;
    write(into / fs::relative(e.path(), fixture), read(e.path()));
  }
  yaml::Node doc = load(fixture);
  if (const yaml::Node* edits = doc.find("edits"); edits && edits->is_sequence()) {
    for (const auto& ed : edits->items) {
      fs::path file = into / field(ed, "file");
      std::string text = read(file), find = field(ed, "find"), after = field(ed, "after");
      std::size_t from = 0;
      if (!after.empty()) {
        from = text.find(after);
        if (from == std::string::npos)
          throw std::runtime_error(fixture.string() + ": `after` text not found");
        from += after.size();
      } else if (text.find(find) != text.rfind(find)) {
        throw std::runtime_error(fixture.string() + ": `find` text occurs more than once; add `after`");
      }
      auto at = text.find(find, from);
      if (find.empty() || at == std::string::npos)
        throw std::runtime_error(fixture.string() + ": `find` text not found in " + field(ed, "file"));
      text.replace(at, find.size(), field(ed, "replace"));
      write(file, text);
    }
  }
  if (const yaml::Node* del = doc.find("delete"); del && del->is_sequence())
    for (const auto& d : del->items) fs::remove_all(into / d.value);
}

std::string expected_rule(const fs::path& fixture) {
  return field(load(fixture), "expect");
}

}  // namespace lucid::lint::testing
