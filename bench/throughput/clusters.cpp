#include "clusters.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <system_error>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "harness.hpp"

namespace raft::bench::tp {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using std::chrono::milliseconds;

constexpr std::size_t cluster_size = 3;
constexpr milliseconds poll_interval{50};
constexpr milliseconds probe_timeout{300};
constexpr int max_polls = 10'000;

std::filesystem::path make_dir(const std::filesystem::path& root,
                               const std::string& prefix) {
  // mkdtemp's template: it replaces the six trailing X's with a unique name.
  std::string path = (root / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(path.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(),
                            "mkdtemp under " + root.string());
  }
  return path;
}

// Polls `agreed` until it names a leader; throws at the timeout or if a
// member dies.
template <typename Agreed>
std::size_t wait_for_leader(ClusterBase& cluster, Agreed agreed,
                            milliseconds timeout, const char* what) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int poll = 0; poll < max_polls; ++poll) {
    throw_if_interrupted();
    cluster.check_running();
    if (const auto leader = agreed()) {
      return *leader;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(poll_interval);
  }
  throw std::runtime_error(fmt::format("no {} leader within {} ms", what,
                                       timeout.count()));
}

asio::awaitable<void> post_once(std::uint16_t port, std::string target,
                                std::string body,
                                std::optional<std::string>& result) {
  constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  const asio::ip::tcp::endpoint endpoint(
      asio::ip::make_address_v4("127.0.0.1"), port);
  auto [connect_error] = co_await stream.async_connect(endpoint, use_tuple);
  if (connect_error) {
    co_return;
  }

  http::request<http::string_body> request{http::verb::post, target, 11};
  request.set(http::field::host, fmt::format("127.0.0.1:{}", port));
  request.set(http::field::content_type, "application/json");
  request.body() = std::move(body);
  request.prepare_payload();
  auto [write_error, written] =
      co_await http::async_write(stream, request, use_tuple);
  if (write_error) {
    co_return;
  }

  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  auto [read_error, read] =
      co_await http::async_read(stream, buffer, response, use_tuple);
  if (!read_error && response.result() == http::status::ok) {
    result = std::move(response.body());
  }
}

}  // namespace

const char* to_string(Durability durability) {
  switch (durability) {
    case Durability::fsync_on:
      return "on";
    case Durability::off_flag:
      return "off-flag";
    case Durability::off_tmpfs:
      return "off-tmpfs";
  }
  return "?";
}

// ---------------------------------------------------------------------------
// ClusterBase

ClusterBase::~ClusterBase() {
  members_.clear();  // Each kills and reaps its own process.
  for (const auto& dir : dirs_) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  // What is left for the kernel to write after the members and their
  // data directories are gone (metadata, freed blocks) is written now, not
  // during the next point's measurement.
  ::sync();
}

std::vector<pid_t> ClusterBase::pids() const {
  std::vector<pid_t> pids;
  for (const auto& member : members_) {
    pids.push_back(member->pid());
  }
  return pids;
}

void ClusterBase::check_running() {
  for (const auto& member : members_) {
    if (!member->running()) {
      throw std::runtime_error(
          fmt::format("member pid {} exited; its log ends:\n{}",
                      member->pid(), member->log_tail()));
    }
  }
}

void ClusterBase::make_dirs(const std::filesystem::path& root,
                            std::size_t count, const std::string& prefix) {
  for (std::size_t i = 0; i < count; ++i) {
    dirs_.push_back(make_dir(root, fmt::format("{}{}", prefix, i + 1)));
  }
}

// ---------------------------------------------------------------------------
// RaftCluster

RaftCluster::RaftCluster(const std::string& program, Durability durability,
                         const std::filesystem::path& root,
                         milliseconds timeout) {
  make_dirs(durability == Durability::off_tmpfs ? "/dev/shm" : root,
            cluster_size, "tp-raft-n");
  client_ports_ = integration::free_ports(cluster_size);

  std::string peers;
  for (std::size_t i = 0; i < cluster_size; ++i) {
    peers += fmt::format("{}{}=127.0.0.1:{}", i == 0 ? "" : ",", i + 1,
                         client_ports_[i]);
  }

  for (std::size_t i = 0; i < cluster_size; ++i) {
    std::vector<std::string> args{"--id",       std::to_string(i + 1),
                                  "--peers",    peers,
                                  "--data-dir", (dirs_[i] / "data").string()};
    if (durability == Durability::off_flag) {
      args.push_back("--unsafe-no-fsync");
    }
    members_.push_back(
        std::make_unique<Child>(program, args, dirs_[i] / "node.log"));
  }
  leader_ = wait_for_leader(*this, [this] { return agreed_leader(); },
                            timeout, "raft");
}

std::optional<std::size_t> RaftCluster::agreed_leader() {
  std::optional<std::size_t> leader;
  NodeId leader_id = no_node;
  Term term = 0;
  for (std::size_t i = 0; i < cluster_size; ++i) {
    const auto status = integration::status(client_ports_[i], probe_timeout);
    if (!status || status->leader_id == no_node) {
      return std::nullopt;
    }
    if (leader_id != no_node &&
        (status->leader_id != leader_id || status->term != term)) {
      return std::nullopt;
    }
    leader_id = status->leader_id;
    term = status->term;
    if (status->role == Role::leader) {
      leader = i;
    }
  }
  return leader;
}

// ---------------------------------------------------------------------------
// EtcdCluster

EtcdCluster::EtcdCluster(const std::string& program, Durability durability,
                         const std::filesystem::path& root,
                         milliseconds timeout) {
  make_dirs(durability == Durability::off_tmpfs ? "/dev/shm" : root,
            cluster_size, "tp-etcd-m");
  const auto ports = integration::free_ports(2 * cluster_size);

  std::string initial_cluster;
  for (std::size_t i = 0; i < cluster_size; ++i) {
    client_ports_.push_back(ports[2 * i]);
    initial_cluster += fmt::format("{}m{}=http://127.0.0.1:{}",
                                   i == 0 ? "" : ",", i + 1, ports[2 * i + 1]);
  }

  for (std::size_t i = 0; i < cluster_size; ++i) {
    const auto client_url = fmt::format("http://127.0.0.1:{}", ports[2 * i]);
    const auto peer_url = fmt::format("http://127.0.0.1:{}", ports[2 * i + 1]);
    std::vector<std::string> args{
        "--name", fmt::format("m{}", i + 1),
        "--data-dir", (dirs_[i] / "data").string(),
        "--listen-client-urls", client_url,
        "--advertise-client-urls", client_url,
        "--listen-peer-urls", peer_url,
        "--initial-advertise-peer-urls", peer_url,
        "--initial-cluster", initial_cluster,
        "--initial-cluster-state", "new",
        "--initial-cluster-token", dirs_[0].filename().string()};
    if (durability == Durability::off_flag) {
      args.push_back("--unsafe-no-fsync");
    }
    members_.push_back(
        std::make_unique<Child>(program, args, dirs_[i] / "etcd.log"));
  }
  leader_ = wait_for_leader(*this, [this] { return agreed_leader(); },
                            timeout, "etcd");
}

std::optional<std::size_t> EtcdCluster::agreed_leader() {
  std::optional<std::size_t> leader;
  std::string leader_id;
  for (std::size_t i = 0; i < cluster_size; ++i) {
    const auto body = http_post(client_ports_[i], "/v3/maintenance/status",
                                "{}", probe_timeout);
    if (!body) {
      return std::nullopt;
    }
    boost::system::error_code ec;
    const auto json = boost::json::parse(*body, ec);
    const auto* object = json.if_object();
    const auto* said = object ? object->if_contains("leader") : nullptr;
    const auto* header = object ? object->if_contains("header") : nullptr;
    if (ec || said == nullptr || header == nullptr || !said->is_string() ||
        !header->is_object()) {
      return std::nullopt;
    }
    const std::string id(said->get_string());
    if (id.empty() || id == "0" || (!leader_id.empty() && id != leader_id)) {
      return std::nullopt;
    }
    leader_id = id;
    const auto* member = header->get_object().if_contains("member_id");
    if (member && member->is_string() && member->get_string() == id) {
      leader = i;
    }
  }
  return leader;
}

// ---------------------------------------------------------------------------
// Free functions

bool raft_node_has_no_fsync_flag(const std::string& program) {
  const std::string help =
      run_and_capture(program, {"--help"}, std::chrono::seconds(10));
  return help.find("--unsafe-no-fsync") != std::string::npos;
}

std::optional<std::string> http_post(std::uint16_t port,
                                     const std::string& target,
                                     const std::string& body,
                                     milliseconds timeout) {
  asio::io_context io;
  std::optional<std::string> result;
  asio::co_spawn(io, post_once(port, target, body, result),
                 [](std::exception_ptr error) {
                   if (error) {
                     std::rethrow_exception(error);
                   }
                 });
  io.run_for(timeout);
  return result;
}

}  // namespace raft::bench::tp
