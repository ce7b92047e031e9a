// Go's encoding/json string encoding (json.Marshal, HTML-safe escaping on): what cosign payloads
// and SOPS JSON files are written with, so that Lucid's bytes match the Go tools' exactly.
#pragma once

#include <string>
#include <string_view>

namespace lucid {

// `s` as a quoted JSON string: \" \\ \n \r \t, other control bytes and <, >, & as \u00XX, U+2028/U+2029
// escaped; everything else (including other UTF-8) verbatim.
std::string go_json_string(std::string_view s);

}  // namespace lucid
