// The console's web page, embedded in the binary at build time (embed_web.cmake turns
// src/lucid/console/web/* into a generated source): nothing is fetched at run time, nothing is built
// on the operator's machine.
#pragma once

#include <string_view>
#include <vector>

namespace lucid::console {

struct WebAsset {
  std::string_view name;          // file name under web/ ("index.html", "app.js", …)
  std::string_view content_type;  // from the extension
  std::string_view body;
  std::string_view etag;  // a quoted content hash
};

const std::vector<WebAsset>& web_assets();

}  // namespace lucid::console
