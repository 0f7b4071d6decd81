#include "raft/node/logging.hpp"

#include <chrono>
#include <ctime>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace raft::node {

namespace {

// Formats each record itself rather than through a pattern string, because
// the JSON form must escape the message and a pattern cannot.
class NodeFormatter final : public spdlog::formatter {
 public:
  NodeFormatter(NodeId id, LogFormat format) : id_(id), format_(format) {}

  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                            msg.time.time_since_epoch())
                            .count() %
                        1000;
    const std::time_t seconds = std::chrono::system_clock::to_time_t(msg.time);
    std::tm utc{};
    gmtime_r(&seconds, &utc);

    if (format_ == LogFormat::json) {
      // "mono_ns" is CLOCK_MONOTONIC, shared by every process on the host,
      // taken as the event is logged: tools measuring across nodes (the
      // election benchmark) compare these, never wall-clock times.
      const auto level = spdlog::level::to_string_view(msg.level);
      const auto mono_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now()
                                   .time_since_epoch())
                               .count();
      fmt::format_to(std::back_inserter(dest),
                     R"({{"time":"{:%Y-%m-%dT%H:%M:%S}.{:03}Z","mono_ns":{},)"
                     R"("level":"{}","node":{},"msg":{}}})"
                     "\n",
                     utc, millis, mono_ns,
                     std::string_view(level.data(), level.size()), id_,
                     boost::json::serialize(boost::json::string(text)));
      return;
    }

    // Text: the student project's style, with a level word only when the
    // line is not a plain event.
    fmt::format_to(std::back_inserter(dest), "{:%H:%M:%S}.{:03} [Node {}] ",
                   utc, millis, id_);
    if (msg.level >= spdlog::level::warn) {
      fmt::format_to(std::back_inserter(dest), "{}: ",
                     msg.level == spdlog::level::warn ? "WARNING" : "ERROR");
    } else if (msg.level <= spdlog::level::debug) {
      fmt::format_to(std::back_inserter(dest), "debug: ");
    }
    fmt::format_to(std::back_inserter(dest), "{}\n", text);
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<NodeFormatter>(id_, format_);
  }

 private:
  NodeId id_;
  LogFormat format_;
};

}  // namespace

std::shared_ptr<spdlog::logger> make_logger(NodeId id, LogFormat format,
                                            spdlog::level::level_enum level) {
  auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(
      fmt::format("node-{}", id), std::move(sink));
  logger->set_formatter(std::make_unique<NodeFormatter>(id, format));
  logger->set_level(level);
  // Tests and people follow the story as it happens; never hold lines back.
  logger->flush_on(spdlog::level::trace);
  return logger;
}

}  // namespace raft::node
