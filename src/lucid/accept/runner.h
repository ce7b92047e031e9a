// One acceptance run on a site: load the site (site.h), select its checks (catalogue.h), run each
// (checks.h) and return the Report; the caller prints it and writes it (report.h).
#pragma once

#include "lucid/accept/checks.h"
#include "lucid/accept/report.h"
#include "lucid/accept/site.h"
#include "lucid/base/result.h"
#include "lucid/engine/docker_client.h"

namespace lucid::accept {

// Runs every selected check. Fails only when nothing can be judged (the engine does not answer);
// a check that cannot run is a `fail` result in the report, never an error here.
Result<Report> run_acceptance(const Site& site, engine::DockerClient& docker, const ProbeSettings& settings);

}  // namespace lucid::accept
