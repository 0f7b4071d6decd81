// The key-value state machine: each operation's effect and reply, exactly-
// once application of retried requests, the bounded client table, entry
// data that does not decode, and the digest nodes compare.
#define BOOST_TEST_MODULE kv_test
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <ostream>
#include <string>
#include <variant>

#include "raft/kv/command.hpp"
#include "raft/kv/state_machine.hpp"

// Stream output for the values compared below, so Boost.Test can print both
// sides of a failed comparison.
namespace raft::net {

std::ostream& operator<<(std::ostream& out, const ClientReply& reply) {
  out << "{seq " << reply.seq << (reply.ok ? ", ok" : ", failed") << " '"
      << reply.error << "' '" << reply.message << "' value ";
  return reply.value ? out << "'" << *reply.value << "'}" : out << "none}";
}

std::ostream& operator<<(std::ostream& out, const ClientRequest& request) {
  return out << "{" << static_cast<int>(request.op) << " "
             << request.client_id << "#" << request.seq << " '"
             << request.key << "' '" << request.value << "'}";
}

}  // namespace raft::net

// std::optional has no operator<<, and ADL cannot find one of ours for
// std::optional<std::string>; Boost.Test's customization point can.
template <typename T>
struct boost::test_tools::tt_detail::print_log_value<std::optional<T>> {
  void operator()(std::ostream& out, const std::optional<T>& value) {
    if (!value) {
      out << "none";
      return;
    }
    out << *value;
  }
};

using raft::EntryType;
using raft::Index;
using raft::LogEntry;
using raft::kv::decode_command;
using raft::kv::encode_command;
using raft::kv::read_command;
using raft::kv::StateMachine;
using raft::net::ClientReply;
using raft::net::ClientRequest;
using raft::net::KvOp;

namespace {

ClientRequest request(KvOp op, std::string client, std::uint64_t seq,
                      std::string key, std::string value = "",
                      std::optional<std::string> expected = std::nullopt) {
  ClientRequest r;
  r.op = op;
  r.client_id = std::move(client);
  r.seq = seq;
  r.key = std::move(key);
  r.value = std::move(value);
  r.expected = std::move(expected);
  return r;
}

ClientRequest put(std::string client, std::uint64_t seq, std::string key,
                  std::string value) {
  return request(KvOp::put, std::move(client), seq, std::move(key),
                 std::move(value));
}

ClientRequest get(std::string client, std::uint64_t seq, std::string key) {
  return request(KvOp::get, std::move(client), seq, std::move(key));
}

ClientRequest del(std::string client, std::uint64_t seq, std::string key) {
  return request(KvOp::del, std::move(client), seq, std::move(key));
}

ClientRequest cas(std::string client, std::uint64_t seq, std::string key,
                  std::optional<std::string> expected, std::string value) {
  return request(KvOp::cas, std::move(client), seq, std::move(key),
                 std::move(value), std::move(expected));
}

// Applies requests at consecutive indexes, as a node's applier would.
struct Applier {
  StateMachine machine;
  Index next_index = 1;

  explicit Applier(std::size_t max_clients = 10000) : machine(max_clients) {}

  ClientReply operator()(const ClientRequest& r) {
    return machine.apply(next_index++, r);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(operations)

BOOST_AUTO_TEST_CASE(put_then_get_returns_the_value) {
  Applier apply;

  ClientReply put_reply = apply(put("a", 1, "k", "v1"));
  BOOST_TEST(put_reply.ok);
  BOOST_TEST(put_reply.seq == 1u);
  BOOST_TEST(put_reply.error == "");

  ClientReply get_reply = apply(get("a", 2, "k"));
  BOOST_TEST(get_reply.ok);
  BOOST_TEST(get_reply.value == std::optional<std::string>("v1"));
  BOOST_TEST(apply.machine.size() == 1u);
}

BOOST_AUTO_TEST_CASE(put_overwrites_and_get_of_absent_key_has_no_value) {
  Applier apply;
  apply(put("a", 1, "k", "v1"));
  apply(put("a", 2, "k", "v2"));

  BOOST_TEST(apply.machine.value("k") == std::optional<std::string>("v2"));
  ClientReply reply = apply(get("a", 3, "missing"));
  BOOST_TEST(reply.ok);
  BOOST_TEST(!reply.value.has_value());
}

BOOST_AUTO_TEST_CASE(delete_removes_and_returns_the_old_value) {
  Applier apply;
  apply(put("a", 1, "k", "v1"));

  ClientReply reply = apply(del("a", 2, "k"));
  BOOST_TEST(reply.ok);
  BOOST_TEST(reply.value == std::optional<std::string>("v1"));
  BOOST_TEST(!apply.machine.value("k").has_value());
  BOOST_TEST(apply.machine.size() == 0u);
}

BOOST_AUTO_TEST_CASE(delete_of_absent_key_is_ok_with_no_value) {
  Applier apply;
  ClientReply reply = apply(del("a", 1, "k"));
  BOOST_TEST(reply.ok);
  BOOST_TEST(!reply.value.has_value());
}

BOOST_AUTO_TEST_CASE(cas_on_current_value_sets_the_new_value) {
  Applier apply;
  apply(put("a", 1, "k", "old"));

  ClientReply reply = apply(cas("a", 2, "k", "old", "new"));
  BOOST_TEST(reply.ok);
  BOOST_TEST(reply.value == std::optional<std::string>("new"));
  BOOST_TEST(apply.machine.value("k") == std::optional<std::string>("new"));
}

BOOST_AUTO_TEST_CASE(cas_without_expected_creates_an_absent_key) {
  Applier apply;
  ClientReply reply = apply(cas("a", 1, "k", std::nullopt, "first"));
  BOOST_TEST(reply.ok);
  BOOST_TEST(apply.machine.value("k") == std::optional<std::string>("first"));
}

BOOST_AUTO_TEST_CASE(cas_without_expected_fails_on_a_present_key) {
  Applier apply;
  apply(put("a", 1, "k", "there"));

  ClientReply reply = apply(cas("a", 2, "k", std::nullopt, "second"));
  BOOST_TEST(!reply.ok);
  BOOST_TEST(reply.error == "cas_failed");
  BOOST_TEST(reply.value == std::optional<std::string>("there"));
  BOOST_TEST(apply.machine.value("k") == std::optional<std::string>("there"));
}

BOOST_AUTO_TEST_CASE(cas_failure_reports_the_current_value) {
  Applier apply;
  apply(put("a", 1, "k", "actual"));

  ClientReply reply = apply(cas("a", 2, "k", "guess", "new"));
  BOOST_TEST(!reply.ok);
  BOOST_TEST(reply.error == "cas_failed");
  BOOST_TEST(reply.value == std::optional<std::string>("actual"));
  BOOST_TEST(apply.machine.value("k") ==
             std::optional<std::string>("actual"));
}

BOOST_AUTO_TEST_CASE(cas_failure_on_absent_key_reports_no_value) {
  Applier apply;
  ClientReply reply = apply(cas("a", 1, "k", "guess", "new"));
  BOOST_TEST(!reply.ok);
  BOOST_TEST(reply.error == "cas_failed");
  BOOST_TEST(!reply.value.has_value());
  BOOST_TEST(apply.machine.size() == 0u);
}

BOOST_AUTO_TEST_CASE(applied_index_advances_with_each_entry) {
  StateMachine machine;
  BOOST_TEST(machine.applied_index() == 0u);

  machine.apply(1, put("a", 1, "k", "v"));
  BOOST_TEST(machine.applied_index() == 1u);

  // Indexes may skip: entries the store never sees (leader no-ops applied
  // elsewhere) still take log slots.
  machine.apply(5, get("a", 2, "k"));
  BOOST_TEST(machine.applied_index() == 5u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(exactly_once)

BOOST_AUTO_TEST_CASE(retried_request_is_applied_once_with_original_reply) {
  Applier apply;
  ClientReply first = apply(put("a", 1, "k", "from-a"));

  // Another client writes after a's put; a's retry must not undo that.
  apply(put("b", 1, "k", "from-b"));
  ClientReply retry = apply(put("a", 1, "k", "from-a"));

  BOOST_TEST(retry == first);
  BOOST_TEST(apply.machine.value("k") ==
             std::optional<std::string>("from-b"));
}

BOOST_AUTO_TEST_CASE(retried_read_returns_the_value_it_first_read) {
  Applier apply;
  apply(put("a", 1, "k", "v1"));
  ClientReply first = apply(get("r", 1, "k"));
  apply(put("a", 2, "k", "v2"));

  ClientReply retry = apply(get("r", 1, "k"));
  BOOST_TEST(retry == first);
  BOOST_TEST(retry.value == std::optional<std::string>("v1"));
}

BOOST_AUTO_TEST_CASE(retried_delete_returns_the_value_it_removed) {
  Applier apply;
  apply(put("a", 1, "k", "v1"));
  ClientReply first = apply(del("a", 2, "k"));

  ClientReply retry = apply(del("a", 2, "k"));
  BOOST_TEST(retry == first);
  BOOST_TEST(retry.value == std::optional<std::string>("v1"));
}

BOOST_AUTO_TEST_CASE(cached_reply_answers_only_the_last_applied_seq) {
  Applier apply;
  ClientReply first = apply(put("a", 1, "k", "v1"));
  BOOST_TEST(apply.machine.cached_reply("a", 1) == first);

  ClientReply second = apply(put("a", 2, "k", "v2"));
  BOOST_TEST(apply.machine.cached_reply("a", 2) == second);
  BOOST_TEST(!apply.machine.cached_reply("a", 1).has_value());
  BOOST_TEST(!apply.machine.cached_reply("a", 3).has_value());
  BOOST_TEST(!apply.machine.cached_reply("nobody", 1).has_value());
}

BOOST_AUTO_TEST_CASE(stale_seq_is_refused_and_changes_nothing) {
  Applier apply;
  apply(put("a", 1, "k", "v1"));
  apply(put("a", 2, "k", "v2"));
  std::uint64_t before = apply.machine.digest();

  ClientReply reply = apply(put("a", 1, "k", "v1"));
  BOOST_TEST(!reply.ok);
  BOOST_TEST(reply.error == "stale_request");
  BOOST_TEST(reply.seq == 1u);
  BOOST_TEST(apply.machine.digest() == before);
  BOOST_TEST(apply.machine.value("k") == std::optional<std::string>("v2"));
}

BOOST_AUTO_TEST_CASE(failed_cas_is_remembered_like_any_reply) {
  Applier apply;
  ClientReply first = apply(cas("a", 1, "k", "x", "y"));
  apply(put("b", 1, "k", "x"));

  // Had the retry been applied again it would now succeed.
  ClientReply retry = apply(cas("a", 1, "k", "x", "y"));
  BOOST_TEST(retry == first);
  BOOST_TEST(apply.machine.value("k") == std::optional<std::string>("x"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(client_table)

BOOST_AUTO_TEST_CASE(oldest_client_is_expired_past_max_clients) {
  Applier apply(2);
  apply(put("a", 1, "ka", "1"));
  apply(put("b", 1, "kb", "1"));
  apply(put("c", 1, "kc", "1"));

  BOOST_TEST(apply.machine.client_count() == 2u);
  BOOST_TEST(!apply.machine.cached_reply("a", 1).has_value());
  BOOST_TEST(apply.machine.cached_reply("b", 1).has_value());
  BOOST_TEST(apply.machine.cached_reply("c", 1).has_value());
}

BOOST_AUTO_TEST_CASE(expiry_picks_the_client_least_recently_applied) {
  Applier apply(2);
  apply(put("a", 1, "k", "1"));
  apply(put("b", 1, "k", "2"));
  // a's new request makes b the oldest.
  apply(put("a", 2, "k", "3"));
  apply(put("c", 1, "k", "4"));

  BOOST_TEST(apply.machine.cached_reply("a", 2).has_value());
  BOOST_TEST(!apply.machine.cached_reply("b", 1).has_value());
  BOOST_TEST(apply.machine.cached_reply("c", 1).has_value());
}

BOOST_AUTO_TEST_CASE(a_retry_keeps_its_client_from_expiring) {
  Applier apply(2);
  apply(put("a", 1, "k", "1"));
  apply(put("b", 1, "k", "2"));
  apply(put("a", 1, "k", "1"));  // retry: a is alive
  apply(put("c", 1, "k", "3"));

  BOOST_TEST(apply.machine.cached_reply("a", 1).has_value());
  BOOST_TEST(!apply.machine.cached_reply("b", 1).has_value());
}

// The documented cost of bounding the table: once a client is expired, a
// late retry of its last request is applied again, as new.
BOOST_AUTO_TEST_CASE(retry_of_expired_client_is_applied_as_new) {
  Applier apply(1);
  apply(put("a", 1, "k", "from-a"));
  apply(put("b", 1, "k", "from-b"));

  ClientReply retry = apply(put("a", 1, "k", "from-a"));
  BOOST_TEST(retry.ok);
  BOOST_TEST(apply.machine.value("k") ==
             std::optional<std::string>("from-a"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(commands)

BOOST_AUTO_TEST_CASE(command_encode_decode_round_trip) {
  for (const ClientRequest& original :
       {put("client-1", 7, "k", "v"), get("c", 0, "k"), del("c", 9, ""),
        cas("c", 3, "k", "old", "new"), cas("c", 4, "k", std::nullopt, "v"),
        put("c", UINT64_MAX, "k\n\"", "line\nbreak")}) {
    std::string data = encode_command(original);
    BOOST_TEST(data.find('\n') == std::string::npos);
    BOOST_TEST(decode_command(data) == std::optional(original));
  }
}

BOOST_AUTO_TEST_CASE(corrupt_or_foreign_data_does_not_decode) {
  BOOST_TEST(!decode_command("").has_value());
  BOOST_TEST(!decode_command("{\"type\":\"put\"").has_value());
  BOOST_TEST(!decode_command("{\"type\":\"status\"}").has_value());
  BOOST_TEST(!decode_command("{\"type\":\"put\",\"seq\":1}").has_value());

  auto reason = read_command("{\"type\":\"status\"}");
  BOOST_TEST(std::holds_alternative<raft::net::DecodeError>(reason));
}

BOOST_AUTO_TEST_CASE(entry_of_command_is_applied) {
  StateMachine machine;
  LogEntry entry{1, 1, EntryType::command,
                 encode_command(put("a", 1, "k", "v"))};

  ClientReply reply = machine.apply_entry(entry);
  BOOST_TEST(reply.ok);
  BOOST_TEST(machine.value("k") == std::optional<std::string>("v"));
  BOOST_TEST(machine.applied_index() == 1u);
}

BOOST_AUTO_TEST_CASE(corrupt_entry_is_applied_as_a_noop) {
  StateMachine machine;
  machine.apply(1, put("a", 1, "k", "v"));
  std::uint64_t before = machine.digest();

  LogEntry entry{1, 2, EntryType::command, "{not json"};
  ClientReply reply = machine.apply_entry(entry);

  BOOST_TEST(!reply.ok);
  BOOST_TEST(reply.error == "bad_request");
  BOOST_TEST(reply.message.find("log entry 2") != std::string::npos);
  BOOST_TEST(machine.digest() == before);
  BOOST_TEST(machine.client_count() == 1u);
  // The slot is still consumed, so the next entry applies normally.
  BOOST_TEST(machine.applied_index() == 2u);
  BOOST_TEST(machine.apply(3, get("a", 2, "k")).ok);
}

BOOST_AUTO_TEST_CASE(leader_noop_entry_changes_nothing) {
  StateMachine machine;
  ClientReply reply = machine.apply_entry(LogEntry{1, 1, EntryType::noop, ""});
  BOOST_TEST(reply.ok);
  BOOST_TEST(machine.size() == 0u);
  BOOST_TEST(machine.client_count() == 0u);
  BOOST_TEST(machine.applied_index() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(digest)

BOOST_AUTO_TEST_CASE(digest_equal_for_equal_states) {
  // Same keys and values reached by different histories, clients and
  // indexes: only the data counts.
  StateMachine first;
  first.apply(1, put("a", 1, "x", "1"));
  first.apply(2, put("a", 2, "y", "2"));

  StateMachine second;
  second.apply(4, put("b", 1, "y", "0"));
  second.apply(5, put("b", 2, "x", "1"));
  second.apply(6, put("c", 1, "y", "2"));
  second.apply(7, put("c", 2, "z", "3"));
  second.apply(8, del("c", 3, "z"));

  BOOST_TEST(first.digest() == second.digest());
}

BOOST_AUTO_TEST_CASE(digest_differs_for_different_states) {
  StateMachine empty;
  StateMachine value_differs;
  value_differs.apply(1, put("a", 1, "k", "1"));
  StateMachine other_value;
  other_value.apply(1, put("a", 1, "k", "2"));

  BOOST_TEST(empty.digest() != value_differs.digest());
  BOOST_TEST(value_differs.digest() != other_value.digest());
}

// The digest is kept up to date by each write rather than computed over
// the store when asked: after any mix of puts, overwrites, deletes and
// compare-and-sets it must equal that of a store given only the final
// contents, and come back to an empty store's when all is deleted.
BOOST_AUTO_TEST_CASE(digest_kept_by_each_write_matches_the_final_contents) {
  StateMachine machine;
  std::map<std::string, std::string> contents;
  std::mt19937 random(7);
  Index index = 0;
  std::uint64_t seq = 0;
  for (int step = 0; step < 2000; ++step) {
    const std::string key = "k" + std::to_string(random() % 40);
    const std::string value = std::string(random() % 64, 'a') +
                              std::to_string(random() % 5);
    const auto held = contents.find(key);
    switch (random() % 4) {
      case 0:
        machine.apply(++index, put("c", ++seq, key, value));
        contents[key] = value;
        break;
      case 1:
        machine.apply(++index, del("c", ++seq, key));
        contents.erase(key);
        break;
      case 2:  // a cas that holds when the key is there
        if (held != contents.end()) {
          machine.apply(++index, cas("c", ++seq, key, held->second, value));
          held->second = value;
        }
        break;
      default:  // one that fails and must change nothing
        machine.apply(++index, cas("c", ++seq, key, "never-held", value));
        break;
    }
  }

  StateMachine fresh;
  Index fresh_index = 0;
  for (const auto& [key, value] : contents) {
    ++fresh_index;
    fresh.apply(fresh_index, put("f", fresh_index, key, value));
  }
  BOOST_TEST(machine.size() == contents.size());
  BOOST_TEST(machine.digest() == fresh.digest());

  for (const auto& [key, value] : contents) {
    (void)value;
    machine.apply(++index, del("c", ++seq, key));
  }
  BOOST_TEST(machine.digest() == StateMachine().digest());
}

BOOST_AUTO_TEST_CASE(digest_separates_key_and_value_boundaries) {
  StateMachine first;
  first.apply(1, put("a", 1, "ab", "c"));
  StateMachine second;
  second.apply(1, put("a", 1, "a", "bc"));

  BOOST_TEST(first.digest() != second.digest());
}

BOOST_AUTO_TEST_SUITE_END()
