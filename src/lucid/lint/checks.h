// The rule families, one source file each; lint.cc runs them all over one Context. Each appends
// findings through the Sink and reads the Model only.
#pragma once

#include "lucid/lint/context.h"

namespace lucid::lint {

void check_labels(const Context& ctx, Sink& sink);        // labels.cc: labels/*
void check_profiles(const Context& ctx, Sink& sink);      // profiles.cc: profiles/*
void check_planes(const Context& ctx, Sink& sink);        // planes.cc: planes/*
void check_deps(const Context& ctx, Sink& sink);          // deps.cc: deps/*
void check_network(const Context& ctx, Sink& sink);       // network.cc: net/*
void check_image(const Context& ctx, Sink& sink);         // image.cc: image/*
void check_hardening(const Context& ctx, Sink& sink);     // hardening.cc: hardening/*, health/*
void check_privileged(const Context& ctx, Sink& sink);    // privileged.cc: privileged/*
void check_files(const Context& ctx, Sink& sink);         // files.cc: compose/missing-file
void check_interp(const Context& ctx, Sink& sink);        // interp.cc: interp/*
void check_env(const Context& ctx, Sink& sink);           // env.cc: env/*
void check_chain_env(const Context& ctx, Sink& sink);     // chain_env.cc: env/chain
void check_sessions_env(const Context& ctx, Sink& sink);  // sessions_env.cc: env/sessions
void check_secrets(const Context& ctx, Sink& sink);       // secrets.cc: secrets/*
void check_clusters(const Context& ctx, Sink& sink);      // clusters.cc: clusters/*
void check_tunnels(const Context& ctx, Sink& sink);       // tunnels.cc: planes/tunnels

}  // namespace lucid::lint
