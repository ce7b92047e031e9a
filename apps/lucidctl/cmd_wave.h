// What `lucidctl wave` shares with `lucidctl status --fleet`: the console's view of the fleet, from
// the console directory (its clone of the config repo and its history of site reports).
#pragma once

#include <string>

namespace lucidctl {

struct ConsoleArgs {
  std::string repo;                                    // the config repo URL
  std::string console_dir = "/var/lib/lucid/console";  // repo.git/ and history.db
  bool no_poll = false;                                // judge from the history only
};

// `lucidctl status --fleet`: one line per cluster of every wave, as the console sees them.
int run_fleet_console_status(const ConsoleArgs& args, bool json);

}  // namespace lucidctl
