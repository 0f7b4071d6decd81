// Scenario scripts: a tiny line-based language for replaying a classic Raft
// situation in the simulator and stating its expected outcome.
//
//   # the first election            comments run to the end of the line
//   seed 7                          options, before `nodes`
//   nodes 3                         start the cluster
//   elect                           run until a new leader is elected
//   expect leader                   ... and check the outcome
//
// Every command is one line; `repeat N` ... `end` repeats a block. Nodes are
// named by id, by `leader` (the leader of the highest term), by a name
// bound with `let`, or as `name+1` (the next id, wrapping). The safety
// checker runs throughout: any violation fails the script, unless the
// script says `expect violation`. The full command list is in script.cpp
// and tests/sim/scenarios/README.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "raft/sim/simulator.hpp"

namespace raft::sim {

struct ScriptResult {
  bool ok = true;
  // "name:line: what went wrong"
  std::string error;
  std::optional<Violation> violation;
  std::vector<std::string> trace_tail;
};

// `bugs` turns on the core's test-only bugs for the run (only in a
// simulator built with RAFT_BUG_SWITCHES); a script may also ask with
// `bug NAME`.
ScriptResult run_script(std::string_view text, const std::string& name,
                        TraceSink sink = {}, const Bugs& bugs = {});
ScriptResult run_script_file(const std::string& path, TraceSink sink = {},
                             const Bugs& bugs = {});

}  // namespace raft::sim
