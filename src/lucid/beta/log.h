// betad's log: one line per event on stderr, "<UTC time> beta[<component>]: <message>".
#pragma once

#include <string_view>

namespace lucid::beta {

void log_line(std::string_view component, std::string_view message);

}  // namespace lucid::beta
