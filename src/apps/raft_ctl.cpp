// raft_ctl: talks to a running cluster.
//
//   raft_ctl --cluster 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 get KEY
//
// Key-value verbs follow redirects to the leader and retry until --timeout;
// `status` asks every node and prints one row each. Exit codes: 0 on
// success, 1 when the answer is "no" (key not found, cas failed) or the
// cluster could not be reached, 2 for bad usage.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include "raft/client/client.hpp"

namespace po = boost::program_options;
using raft::client::Client;
using raft::client::ClientError;
using raft::client::ClientOptions;

namespace {

// Bad usage: the message goes to stderr with a hint, and the exit code is 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr const char* usage_text =
    "usage: raft_ctl --cluster HOST:PORT,... [--timeout SECONDS] COMMAND\n"
    "\n"
    "commands:\n"
    "  put KEY VALUE          set KEY; prints OK\n"
    "  get KEY                prints the value (exit 1 if not found)\n"
    "  delete KEY             prints 'deleted' or 'not found'\n"
    "  cas KEY EXPECTED NEW   set KEY to NEW only if its value is EXPECTED;\n"
    "  cas --absent KEY NEW   ... or, with --absent, only if KEY does not\n"
    "                         exist; prints OK, or FAILED and the current\n"
    "                         value (exit 1)\n"
    "  status                 one row per node: role, term, leader, commit,\n"
    "                         applied, last log index, followers' match\n"
    "\n"
    "Put '--' before a KEY or VALUE that starts with '-'.\n"
    "\n"
    "options";

struct Command {
  std::vector<std::string> cluster;
  std::chrono::milliseconds deadline{10000};
  bool absent = false;
  std::string verb;
  std::vector<std::string> args;
};

std::vector<std::string> split_cluster(const std::string& text) {
  std::vector<std::string> addresses;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) {
      comma = text.size();
    }
    std::string address = text.substr(start, comma - start);
    if (!raft::client::is_address(address)) {
      throw UsageError("--cluster: '" + address + "' is not HOST:PORT with "
                       "a port from 1 to 65535");
    }
    addresses.push_back(std::move(address));
    start = comma + 1;
  }
  return addresses;
}

std::chrono::milliseconds deadline_from(double seconds) {
  if (!std::isfinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw UsageError("--timeout must be above 0 and at most 3600 seconds");
  }
  return std::chrono::milliseconds(std::llround(seconds * 1000));
}

// How many arguments each verb takes (cas --absent takes one less).
std::size_t arity(const Command& command) {
  if (command.verb == "put") {
    return 2;
  }
  if (command.verb == "get" || command.verb == "delete") {
    return 1;
  }
  if (command.verb == "cas") {
    return command.absent ? 2 : 3;
  }
  if (command.verb == "status") {
    return 0;
  }
  throw UsageError("unknown command '" + command.verb + "'");
}

void check_arguments(const Command& command) {
  if (command.absent && command.verb != "cas") {
    throw UsageError("--absent goes only with cas");
  }
  const std::size_t wanted = arity(command);
  if (command.args.size() != wanted) {
    throw UsageError(fmt::format("{} takes {} argument{}, not {}",
                                 command.verb, wanted,
                                 wanted == 1 ? "" : "s",
                                 command.args.size()));
  }
}

// The parsed command, or none if --help was asked (help is then printed).
std::optional<Command> parse(int argc, char** argv) {
  po::options_description visible(usage_text);
  visible.add_options()
      ("help,h", "show this help")
      ("cluster,c", po::value<std::string>(),
       "every node, as HOST:PORT,HOST:PORT,...")
      ("timeout,t", po::value<double>()->default_value(10.0),
       "seconds to keep trying one operation")
      ("absent", po::bool_switch(),
       "cas only: instead of EXPECTED, require that KEY does not exist");
  po::options_description hidden;
  hidden.add_options()
      ("verb", po::value<std::string>())
      ("args", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("verb", 1).add("args", -1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv)
                  .options(all)
                  .positional(positional)
                  .run(),
              vm);
    po::notify(vm);
  } catch (const po::error& error) {
    throw UsageError(error.what());
  }

  if (vm.count("help")) {
    fmt::print("{}\n", fmt::streamed(visible));
    return std::nullopt;
  }
  if (!vm.count("cluster")) {
    throw UsageError("--cluster is required");
  }
  if (!vm.count("verb")) {
    throw UsageError("no command given");
  }

  Command command;
  command.cluster = split_cluster(vm["cluster"].as<std::string>());
  command.deadline = deadline_from(vm["timeout"].as<double>());
  command.absent = vm["absent"].as<bool>();
  command.verb = vm["verb"].as<std::string>();
  if (vm.count("args")) {
    command.args = vm["args"].as<std::vector<std::string>>();
  }
  check_arguments(command);
  return command;
}

// --------------------------------------------------------------- verbs

int run_put(Client& client, const std::vector<std::string>& args) {
  client.put(args[0], args[1]);
  fmt::print("OK\n");
  return 0;
}

int run_get(Client& client, const std::vector<std::string>& args) {
  const std::optional<std::string> value = client.get(args[0]);
  if (!value) {
    fmt::print(stderr, "(not found)\n");
    return 1;
  }
  fmt::print("{}\n", *value);
  return 0;
}

int run_delete(Client& client, const std::vector<std::string>& args) {
  fmt::print("{}\n", client.remove(args[0]) ? "deleted" : "not found");
  return 0;
}

int run_cas(Client& client, const Command& command) {
  const std::vector<std::string>& args = command.args;
  std::optional<std::string> expected;
  if (!command.absent) {
    expected = args[1];
  }

  const raft::client::CasResult result =
      client.compare_and_swap(args[0], std::move(expected), args.back());
  if (result.swapped) {
    fmt::print("OK\n");
    return 0;
  }
  if (result.current) {
    fmt::print("FAILED (current: {})\n", *result.current);
  } else {
    fmt::print("FAILED (absent)\n");
  }
  return 1;
}

// "2:15 3:15": each follower's match index, as its leader knows it.
std::string match_column(const raft::net::StatusReply& status) {
  std::string text;
  for (const raft::net::PeerProgress& peer : status.peers) {
    text += fmt::format("{}{}:{}", text.empty() ? "" : " ", peer.id,
                        peer.match_index);
  }
  return text;
}

std::string status_row(const std::string& address, int address_width,
                       const raft::net::StatusReply& status) {
  const std::string leader =
      status.leader_id == raft::no_node ? "-"
                                        : std::to_string(status.leader_id);
  return fmt::format("{:<4} {:<{}} {:<9} {:>6} {:>6} {:>8} {:>8} {:>8}  {}",
                     status.id, address, address_width,
                     raft::to_string(status.role), status.term, leader,
                     status.commit_index, status.last_applied,
                     status.last_log_index, match_column(status));
}

int run_status(Client& client, const std::vector<std::string>& cluster) {
  int width = 7;
  for (const std::string& address : cluster) {
    width = std::max(width, static_cast<int>(address.size()));
  }
  fmt::print("{:<4} {:<{}} {:<9} {:>6} {:>6} {:>8} {:>8} {:>8}  {}\n", "ID",
             "ADDRESS", width, "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED",
             "LAST", "MATCH");

  // One try per node, so a dead node costs at most one attempt timeout.
  int answered = 0;
  for (const std::string& address : cluster) {
    try {
      fmt::print("{}\n", status_row(address, width, client.status(address)));
      ++answered;
    } catch (const ClientError&) {
      fmt::print("{:<4} {:<{}} unreachable\n", "-", address, width);
    }
  }

  if (answered == 0) {
    fmt::print(stderr, "raft_ctl: no node of the cluster answered\n");
    return 1;
  }
  return 0;
}

int run(const Command& command) {
  ClientOptions options;
  options.deadline = command.deadline;
  options.attempt_timeout =
      std::min(options.attempt_timeout, command.deadline);
  Client client(command.cluster, options);

  if (command.verb == "put") {
    return run_put(client, command.args);
  }
  if (command.verb == "get") {
    return run_get(client, command.args);
  }
  if (command.verb == "delete") {
    return run_delete(client, command.args);
  }
  if (command.verb == "cas") {
    return run_cas(client, command);
  }
  return run_status(client, command.cluster);
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Command> command;
  try {
    command = parse(argc, argv);
  } catch (const UsageError& error) {
    fmt::print(stderr, "raft_ctl: {} (see raft_ctl --help)\n", error.what());
    return 2;
  }
  if (!command) {
    return 0;
  }

  try {
    return run(*command);
  } catch (const std::exception& error) {
    fmt::print(stderr, "raft_ctl: {}\n", error.what());
    return 1;
  }
}
