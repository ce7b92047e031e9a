// What the services' `health` and `status` subcommands do (the images' healthchecks and the probes
// `lucidctl accept` runs inside a container): GET one URL of the service's own API, print the body,
// and exit 0 on 200, 1 otherwise — a healthcheck only tells 0 from non-zero.
#pragma once

#include <string>
#include <string_view>

namespace lucid {

// GETs `url` (3 s timeout, at most 1 MiB); prints the body on stdout, or "<program>: <why>" on
// stderr when unreachable. Returns the exit status: 0 on HTTP 200, else 1.
int print_endpoint(const std::string& url, std::string_view program);

}  // namespace lucid
