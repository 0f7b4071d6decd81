#define BOOST_TEST_MODULE options_test
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "raft/node/options.hpp"

using raft::node::OptionError;
using raft::node::parse_command_line;

namespace {

const char* const peers = "1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003";

raft::node::ParsedCommandLine parse(std::vector<std::string> args) {
  args.insert(args.begin(), "raft_node");
  std::vector<const char*> argv;
  for (const std::string& arg : args) {
    argv.push_back(arg.c_str());
  }
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

// The error must be one line and name the option, so a person knows what
// to fix.
void check_error_names(std::vector<std::string> args,
                       const std::string& option) {
  try {
    parse(std::move(args));
    BOOST_FAIL("expected an OptionError naming " + option);
  } catch (const OptionError& error) {
    const std::string message = error.what();
    BOOST_TEST_INFO("message: " << message);
    BOOST_TEST(message.find(option) != std::string::npos);
    BOOST_TEST(message.find('\n') == std::string::npos);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(defaults_match_the_documented_ones) {
  const auto parsed = parse({"--id", "2", "--peers", peers});
  const auto& options = parsed.options;

  BOOST_TEST(parsed.help.empty());
  BOOST_TEST(options.id == 2u);
  BOOST_TEST(options.peers.size() == 3u);
  BOOST_TEST(options.peers.at(3).port == 7003);
  BOOST_TEST(options.data_dir == std::filesystem::path("data/node-2"));
  BOOST_TEST(options.election_timeout_min.count() == 150);
  BOOST_TEST(options.election_timeout_max.count() == 300);
  BOOST_TEST(options.heartbeat.count() == 50);
  BOOST_TEST((options.log_format == raft::node::LogFormat::text));
  BOOST_TEST(!options.unsafe_no_fsync);
}

BOOST_AUTO_TEST_CASE(every_option_is_read) {
  const auto parsed =
      parse({"--id", "1", "--peers", peers, "--data-dir", "/tmp/x",
             "--election-timeout", "12-24", "--heartbeat", "6",
             "--log-level", "debug", "--log-format", "json",
             "--unsafe-no-fsync"});
  const auto& options = parsed.options;

  BOOST_TEST(options.data_dir == std::filesystem::path("/tmp/x"));
  BOOST_TEST(options.election_timeout_min.count() == 12);
  BOOST_TEST(options.election_timeout_max.count() == 24);
  BOOST_TEST(options.heartbeat.count() == 6);
  BOOST_TEST((options.log_level == spdlog::level::debug));
  BOOST_TEST((options.log_format == raft::node::LogFormat::json));
  BOOST_TEST(options.unsafe_no_fsync);
}

BOOST_AUTO_TEST_CASE(config_file_gives_the_same_options) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("raft-options-" + std::to_string(::getpid()) + ".conf");
  {
    std::ofstream file(path);
    file << "id = 3\npeers = " << peers << "\nheartbeat = 20\n";
  }
  const auto parsed = parse({"--config", path.string()});
  std::filesystem::remove(path);

  BOOST_TEST(parsed.options.id == 3u);
  BOOST_TEST(parsed.options.heartbeat.count() == 20);
}

BOOST_AUTO_TEST_CASE(help_is_returned_not_an_error) {
  const auto parsed = parse({"--help"});
  BOOST_TEST(parsed.help.find("--peers") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_options_name_the_option) {
  check_error_names({"--peers", peers}, "--id");
  check_error_names({"--id", "1"}, "--peers");
  check_error_names({"--id", "x", "--peers", peers}, "--id");
  check_error_names({"--id", "4", "--peers", peers}, "--id");
  check_error_names({"--id", "1", "--peers", "1=127.0.0.1"}, "--peers");
  check_error_names({"--id", "1", "--peers", "1=h:70000"}, "--peers");
  check_error_names({"--id", "1", "--peers", "1=h:1,1=h:2"}, "--peers");
  check_error_names({"--id", "1", "--peers", "1=h:1,2=h:1"}, "--peers");
  check_error_names({"--id", "1", "--peers", "0=h:1"}, "--peers");
  check_error_names({"--id", "1", "--peers", peers, "--election-timeout",
                     "300-150"},
                    "--election-timeout");
  check_error_names({"--id", "1", "--peers", peers, "--election-timeout",
                     "abc"},
                    "--election-timeout");
  check_error_names({"--id", "1", "--peers", peers, "--heartbeat", "150"},
                    "--heartbeat");
  check_error_names({"--id", "1", "--peers", peers, "--log-level", "loud"},
                    "--log-level");
  check_error_names({"--id", "1", "--peers", peers, "--log-format", "xml"},
                    "--log-format");
  check_error_names({"--id", "1", "--peers", peers, "--config", "/nonexist"},
                    "--config");
  check_error_names({"--id", "1", "--peers", peers, "--bogus", "1"},
                    "bogus");
  check_error_names({"--id", "1", "--peers", peers, "--max-connections",
                     "2"},
                    "--max-connections");
  // A stray word is an error, not silently ignored.
  check_error_names({"--id", "1", "--peers", peers, "extra"}, "positional");
}
