// Every container label name Lucid reads or writes, in one place: Compose's own project and service
// labels, the per-service config hash the reconciler stamps (docs/formats.md "Render plan and
// config hashes"), and the labels of the config repo's compose file that beta acts on (plane,
// service name, exposed ports; deploy/README.md "The rules").
#pragma once

namespace lucid {

// Set by Compose on every container it makes.
inline constexpr const char* kComposeProjectLabel = "com.docker.compose.project";
inline constexpr const char* kComposeServiceLabel = "com.docker.compose.service";

// Set by the renderer on every service of a plan: which plan content the container runs.
inline constexpr const char* kConfigHashLabel = "com.lucid.config-hash";

// Set in the config repo's compose file, read by lint, beta and the acceptance checks.
inline constexpr const char* kPlaneLabel = "com.lucid.plane";           // ops, chain or wallet
inline constexpr const char* kLucidServiceLabel = "com.lucid.service";  // the service's own name
inline constexpr const char* kExposeLabel = "com.lucid.expose";         // TCP ports beta publishes

// Set on the acceptance checks' short-lived probe containers (lucidctl accept, and the reconciler's
// run after a promotion). Not com.lucid.*, so beta does not take a probe listener for a service; the
// reconciler's drift detection leaves these containers alone, though some carry the project label.
inline constexpr const char* kAcceptProbeLabel = "lucid.accept.probe";
// Also on every probe: the Compose project of the site being checked, by which a run's containers
// are found (and cleaned up) even when a probe carries no project label of its own.
inline constexpr const char* kAcceptProjectLabel = "lucid.accept.project";

}  // namespace lucid
