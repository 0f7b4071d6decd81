#include "raft/node/options.hpp"

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/program_options.hpp>
#include <fmt/format.h>

namespace raft::node {

namespace po = boost::program_options;

namespace {

std::uint64_t parse_number(std::string_view text, const char* option) {
  std::uint64_t value = 0;
  const auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
    throw OptionError(
        fmt::format("--{}: '{}' is not a non-negative integer", option, text));
  }
  return value;
}

PeerAddress parse_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    throw OptionError(
        fmt::format("--peers: '{}' is not HOST:PORT", text));
  }
  const std::uint64_t port = parse_number(text.substr(colon + 1), "peers");
  if (port == 0 || port > 65535) {
    throw OptionError(fmt::format("--peers: port {} is out of range", port));
  }
  return PeerAddress{std::string(text.substr(0, colon)),
                     static_cast<std::uint16_t>(port)};
}

// "150-300" -> {150, 300}; a single number means min = max.
std::pair<std::chrono::milliseconds, std::chrono::milliseconds>
parse_range_ms(const std::string& text) {
  const auto dash = text.find('-');
  const std::string low = text.substr(0, dash);
  const std::string high =
      dash == std::string::npos ? low : text.substr(dash + 1);
  const auto min_ms = parse_number(low, "election-timeout");
  const auto max_ms = parse_number(high, "election-timeout");
  if (min_ms == 0 || min_ms > max_ms) {
    throw OptionError(fmt::format(
        "--election-timeout: '{}' must be MIN-MAX with 0 < MIN <= MAX (ms)",
        text));
  }
  return {std::chrono::milliseconds(min_ms), std::chrono::milliseconds(max_ms)};
}

spdlog::level::level_enum parse_level(const std::string& text) {
  static const std::map<std::string, spdlog::level::level_enum> levels = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"off", spdlog::level::off}};
  const auto it = levels.find(text);
  if (it == levels.end()) {
    throw OptionError(fmt::format(
        "--log-level: '{}' is not one of trace, debug, info, warn, error, off",
        text));
  }
  return it->second;
}

LogFormat parse_format(const std::string& text) {
  if (text == "text") {
    return LogFormat::text;
  }
  if (text == "json") {
    return LogFormat::json;
  }
  throw OptionError(
      fmt::format("--log-format: '{}' is not one of text, json", text));
}

po::options_description describe() {
  po::options_description options("raft_node options");
  options.add_options()
      ("help,h", "show this help and exit")
      ("id", po::value<std::string>(), "this node's id (required, >= 1)")
      ("peers", po::value<std::string>(),
       "every member, this node included: ID=HOST:PORT,... (required)")
      ("data-dir", po::value<std::string>(),
       "where term, vote and log are kept (default ./data/node-ID)")
      ("election-timeout", po::value<std::string>()->default_value("150-300"),
       "election timeout range MIN-MAX in ms, drawn at random each time")
      ("heartbeat", po::value<std::string>()->default_value("50"),
       "leader heartbeat interval in ms (below the election timeout)")
      ("log-level", po::value<std::string>()->default_value("info"),
       "trace, debug, info, warn, error or off")
      ("log-format", po::value<std::string>()->default_value("text"),
       "text (one event a line) or json (one object a line)")
      ("max-connections", po::value<std::string>()->default_value("1024"),
       "connections from peers and clients served at once; more are "
       "closed at once (keeps file descriptors for the log and the peers)")
      ("unsafe-no-fsync", po::bool_switch(),
       "never fsync the log (benchmarks only: a machine crash can then "
       "lose acknowledged writes)")
      ("config", po::value<std::string>(),
       "read the same options from FILE, one 'name = value' a line");
  return options;
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

std::map<NodeId, PeerAddress> parse_peers(const std::string& text) {
  std::map<NodeId, PeerAddress> peers;
  std::set<std::string> addresses;
  std::stringstream stream(text);
  std::string item;

  while (std::getline(stream, item, ',')) {
    const auto equals = item.find('=');
    if (equals == std::string::npos) {
      throw OptionError(fmt::format("--peers: '{}' is not ID=HOST:PORT", item));
    }
    const NodeId id = parse_number(item.substr(0, equals), "peers");
    if (id == no_node) {
      throw OptionError("--peers: node ids start at 1");
    }
    PeerAddress address = parse_address(item.substr(equals + 1));
    if (!addresses.insert(address.to_string()).second) {
      throw OptionError(fmt::format("--peers: address {} is listed twice",
                                    address.to_string()));
    }
    if (!peers.emplace(id, std::move(address)).second) {
      throw OptionError(fmt::format("--peers: id {} is listed twice", id));
    }
  }
  if (peers.empty()) {
    throw OptionError("--peers: no members given");
  }
  return peers;
}

ParsedCommandLine parse_command_line(int argc, const char* const* argv) {
  const po::options_description description = describe();
  po::variables_map values;

  // Program_options names the option in its messages; keep its first line.
  try {
    // No positional arguments: a stray word is a mistake, not ignored.
    po::store(po::command_line_parser(argc, argv)
                  .options(description)
                  .positional(po::positional_options_description())
                  .run(),
              values);
    if (values.count("config")) {
      const std::string path = values["config"].as<std::string>();
      std::ifstream file(path);
      if (!file) {
        throw OptionError(fmt::format("--config: cannot read '{}'", path));
      }
      po::store(po::parse_config_file(file, description), values);
    }
    po::notify(values);
  } catch (const po::error& error) {
    throw OptionError(first_line(error.what()));
  }

  ParsedCommandLine parsed;
  if (values.count("help")) {
    std::ostringstream help;
    help << "Usage: raft_node --id ID --peers ID=HOST:PORT,... [options]\n\n"
         << description;
    parsed.help = help.str();
    return parsed;
  }

  NodeOptions& options = parsed.options;
  if (!values.count("id")) {
    throw OptionError("--id: required");
  }
  if (!values.count("peers")) {
    throw OptionError("--peers: required");
  }
  options.id = parse_number(values["id"].as<std::string>(), "id");
  options.peers = parse_peers(values["peers"].as<std::string>());
  if (!options.peers.contains(options.id)) {
    throw OptionError(
        fmt::format("--id: {} is not among --peers", options.id));
  }

  options.data_dir =
      values.count("data-dir")
          ? std::filesystem::path(values["data-dir"].as<std::string>())
          : std::filesystem::path("data") / fmt::format("node-{}", options.id);

  std::tie(options.election_timeout_min, options.election_timeout_max) =
      parse_range_ms(values["election-timeout"].as<std::string>());
  options.heartbeat = std::chrono::milliseconds(
      parse_number(values["heartbeat"].as<std::string>(), "heartbeat"));
  if (options.heartbeat.count() == 0 ||
      options.heartbeat >= options.election_timeout_min) {
    throw OptionError(
        "--heartbeat: must be above 0 and below the minimum election timeout");
  }

  options.log_level = parse_level(values["log-level"].as<std::string>());
  options.log_format = parse_format(values["log-format"].as<std::string>());
  options.max_connections = parse_number(
      values["max-connections"].as<std::string>(), "max-connections");
  if (options.max_connections < options.peers.size()) {
    throw OptionError(fmt::format(
        "--max-connections: must be at least the {} members",
        options.peers.size()));
  }
  options.unsafe_no_fsync = values["unsafe-no-fsync"].as<bool>();
  return parsed;
}

}  // namespace raft::node
