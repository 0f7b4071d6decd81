// The newline-delimited JSON codec: every frame kind survives a round trip,
// one frame is always one line, and every kind of bad input comes back as a
// DecodeError that names the problem.
#define BOOST_TEST_MODULE codec_test
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "raft/net/codec.hpp"

namespace json = boost::json;
using raft::AppendEntries;
using raft::AppendEntriesReply;
using raft::EntryType;
using raft::LogEntry;
using raft::Message;
using raft::RequestVote;
using raft::RequestVoteReply;
using raft::Role;
using raft::net::ClientReply;
using raft::net::ClientRequest;
using raft::net::decode;
using raft::net::DecodeError;
using raft::net::encode;
using raft::net::ErrorReply;
using raft::net::Frame;
using raft::net::KvOp;
using raft::net::StatusReply;
using raft::net::StatusRequest;

namespace {

constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

Frame decoded(std::string_view line) {
  auto result = decode(line);
  const auto* error = std::get_if<DecodeError>(&result);
  // The message is built even on success, so it must not dereference.
  BOOST_REQUIRE_MESSAGE(error == nullptr,
                        "unexpected DecodeError: "
                            << (error ? error->message : std::string()));
  return std::get<Frame>(result);
}

void check_round_trip(const Frame& frame) {
  std::string line = encode(frame);
  BOOST_TEST(line.find('\n') == std::string::npos, line);
  BOOST_TEST((decoded(line) == frame), line);
}

// Decoding `line` fails, and the reason mentions `needle`.
void check_rejected(std::string_view line, std::string_view needle) {
  auto result = decode(line);
  const auto* error = std::get_if<DecodeError>(&result);
  BOOST_REQUIRE_MESSAGE(error != nullptr,
                        "accepted bad input: " << line.substr(0, 200));
  BOOST_TEST(error->message.find(needle) != std::string::npos,
             "'" << error->message << "' does not mention '" << needle
                 << "'");
  BOOST_TEST(error->message.find('\n') == std::string::npos);
}

Message message(raft::MessageBody body) {
  return Message{.from = 1, .to = 2, .body = std::move(body)};
}

AppendEntries append_with_entries(std::vector<std::string> data) {
  AppendEntries rpc{.term = 5, .leader_id = 1, .prev_log_index = 10,
                    .prev_log_term = 4, .entries = {}, .leader_commit = 9};
  for (std::string& item : data) {
    rpc.entries.push_back(LogEntry{.term = 5,
                                   .index = 11 + rpc.entries.size(),
                                   .type = EntryType::command,
                                   .data = std::move(item)});
  }
  return rpc;
}

ClientRequest cas(std::optional<std::string> expected) {
  return ClientRequest{.op = KvOp::cas, .client_id = "c1", .seq = 7,
                       .key = "k", .value = "new", .expected = expected};
}

// One valid frame of every kind, to mutate field by field.
std::vector<Frame> sample_frames() {
  return {
      message(RequestVote{3, 1, 7, 2}),
      message(RequestVoteReply{3, true}),
      message(append_with_entries({"a", "b"})),
      message(AppendEntriesReply{3, false, 0, 2, 5}),
      StatusReply{.id = 1, .role = Role::leader, .term = 3, .leader_id = 1,
                  .commit_index = 4, .last_applied = 4, .last_log_index = 5,
                  .peers = {{2, 5, 6}}},
      ClientRequest{KvOp::put, "c1", 7, "k", "v", std::nullopt},
      ClientRequest{KvOp::get, "c1", 8, "k", "", std::nullopt},
      ClientRequest{KvOp::del, "c1", 9, "k", "", std::nullopt},
      cas("old"),
      ClientReply{7, true, "", "", "v", 1, "127.0.0.1:7001"},
      ErrorReply{"bad frame"},
  };
}

// `frame` encoded, with `change` applied to its JSON object.
template <class Change>
std::string mutated(const Frame& frame, Change change) {
  json::object object = json::parse(encode(frame)).as_object();
  change(object);
  return json::serialize(object);
}

// Fields a frame may leave out.
bool optional_field(std::string_view name) {
  return name == "expected" || name == "value";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(round_trip)

BOOST_AUTO_TEST_CASE(request_vote_and_reply_round_trip) {
  check_round_trip(message(RequestVote{3, 1, 7, 2}));
  check_round_trip(message(RequestVoteReply{3, true}));
  check_round_trip(message(RequestVoteReply{4, false}));
}

BOOST_AUTO_TEST_CASE(heartbeat_with_no_entries_round_trips) {
  check_round_trip(message(append_with_entries({})));
}

BOOST_AUTO_TEST_CASE(entries_with_quotes_newlines_unicode_and_empty_data) {
  AppendEntries rpc = append_with_entries(
      {"say \"hi\"", "line1\nline2\r\n", "snow \u2603 and \U0001F600", "",
       "back\\slash\ttab", std::string("nul\0byte", 8), "{\"json\":[1]}"});
  rpc.entries.push_back(
      LogEntry{5, 11 + rpc.entries.size(), EntryType::noop, ""});
  check_round_trip(message(rpc));
}

BOOST_AUTO_TEST_CASE(append_entries_reply_round_trips) {
  check_round_trip(message(AppendEntriesReply{3, true, 12, 0, 0}));
  check_round_trip(message(AppendEntriesReply{3, false, 0, 2, 5}));
}

BOOST_AUTO_TEST_CASE(status_request_and_reply_round_trip) {
  check_round_trip(StatusRequest{});
  for (Role role : {Role::follower, Role::candidate, Role::leader}) {
    check_round_trip(StatusReply{.id = 2, .role = role, .term = 9,
                                 .leader_id = 0, .commit_index = 3,
                                 .last_applied = 2, .last_log_index = 4,
                                 .peers = {}});
  }
  check_round_trip(std::get<StatusReply>(sample_frames()[4]));
}

BOOST_AUTO_TEST_CASE(client_requests_of_every_op_round_trip) {
  check_round_trip(ClientRequest{KvOp::put, "c1", 7, "k", "v", std::nullopt});
  check_round_trip(ClientRequest{KvOp::put, "c1", 7, "", "", std::nullopt});
  check_round_trip(ClientRequest{KvOp::get, "c1", 8, "k", "", std::nullopt});
  check_round_trip(ClientRequest{KvOp::del, "c1", 9, "k", "", std::nullopt});
}

BOOST_AUTO_TEST_CASE(cas_with_and_without_expected_round_trips) {
  check_round_trip(cas("old"));
  check_round_trip(cas(""));
  check_round_trip(cas(std::nullopt));
}

BOOST_AUTO_TEST_CASE(client_and_error_replies_round_trip) {
  check_round_trip(ClientReply{7, true, "", "", "v", 1, "127.0.0.1:7001"});
  check_round_trip(ClientReply{7, true, "", "", std::nullopt, 1, ""});
  check_round_trip(
      ClientReply{8, false, "not_leader", "ask node 3", std::nullopt, 3,
                  "127.0.0.1:7003"});
  check_round_trip(ErrorReply{"field 'term' must be an unsigned integer"});
}

BOOST_AUTO_TEST_CASE(largest_values_round_trip) {
  // Ids and indexes go to 2^64 - 1; terms stop at max_term.
  check_round_trip(Message{u64_max, u64_max,
                           RequestVote{raft::max_term, u64_max, u64_max,
                                       raft::max_term}});
  check_round_trip(
      ClientRequest{KvOp::get, "c", u64_max, "k", "", std::nullopt});
}

BOOST_AUTO_TEST_CASE(every_sample_frame_round_trips) {
  for (const Frame& frame : sample_frames()) {
    check_round_trip(frame);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(wire_form)

BOOST_AUTO_TEST_CASE(request_vote_is_written_as_the_protocol_documents) {
  BOOST_TEST(encode(message(RequestVote{3, 1, 0, 0})) ==
             R"({"type":"request_vote","from":1,"to":2,"term":3,)"
             R"("candidate_id":1,"last_log_index":0,"last_log_term":0})");
}

BOOST_AUTO_TEST_CASE(status_request_is_just_its_type) {
  BOOST_TEST(encode(StatusRequest{}) == R"({"type":"status"})");
}

BOOST_AUTO_TEST_CASE(hand_written_client_requests_decode) {
  BOOST_TEST((decoded(R"({"type":"put","client_id":"c1","seq":7,)"
                      R"("key":"k","value":"v"})") ==
              Frame{ClientRequest{KvOp::put, "c1", 7, "k", "v", {}}}));
  BOOST_TEST((decoded(R"({"type":"delete","client_id":"c1","seq":1,)"
                      R"("key":"k"})") ==
              Frame{ClientRequest{KvOp::del, "c1", 1, "k", "", {}}}));
}

BOOST_AUTO_TEST_CASE(cas_expected_may_be_null_or_absent) {
  std::string head = R"({"type":"cas","client_id":"c1","seq":7,"key":"k",)"
                     R"("value":"new")";
  BOOST_TEST((decoded(head + "}") == Frame{cas(std::nullopt)}));
  BOOST_TEST((decoded(head + R"(,"expected":null})") ==
              Frame{cas(std::nullopt)}));
  BOOST_TEST((decoded(head + R"(,"expected":"old"})") == Frame{cas("old")}));
}

BOOST_AUTO_TEST_CASE(encode_never_emits_a_newline) {
  std::string nasty = "a\nb\r\nc\u2028d\x0b";
  std::vector<Frame> frames = sample_frames();
  frames.push_back(message(append_with_entries({nasty, "\n", "\n\n"})));
  frames.push_back(ClientRequest{KvOp::cas, "c\n", 1, nasty, nasty, nasty});
  frames.push_back(ClientReply{1, false, "timeout", nasty, nasty, 0, nasty});
  frames.push_back(ErrorReply{nasty});
  for (const Frame& frame : frames) {
    std::string line = encode(frame);
    BOOST_TEST(line.find('\n') == std::string::npos, line);
    BOOST_TEST(line.find('\r') == std::string::npos, line);
    BOOST_TEST((decoded(line) == frame), line);
  }
}

BOOST_AUTO_TEST_CASE(encode_prints_what_boost_json_prints) {
  // The encoder writes JSON by hand; Boost.JSON reading a line and printing
  // it again must give back the same bytes: the same escapes, field order
  // and number forms, for every ASCII byte and some UTF-8.
  std::string every_ascii;
  for (int byte = 0; byte < 0x80; ++byte) {
    every_ascii.push_back(static_cast<char>(byte));
  }
  const std::string utf8 = "caf\u00e9 \u65e5\u672c \U0001f600";
  std::vector<Frame> frames = sample_frames();
  frames.push_back(message(append_with_entries({every_ascii, utf8, ""})));
  frames.push_back(
      ClientRequest{KvOp::cas, every_ascii, ~0ULL, utf8, every_ascii, utf8});
  frames.push_back(ClientReply{0, true, "", every_ascii, std::nullopt, 7, ""});
  for (const Frame& frame : frames) {
    const std::string line = encode(frame);
    BOOST_TEST(json::serialize(json::parse(line)) == line);
    BOOST_TEST((decoded(line) == frame), line);
  }
}

BOOST_AUTO_TEST_CASE(entries_encoded_once_give_the_same_line) {
  // A leader encodes a batch once for every follower it goes to. Both sides
  // write the entries the same way; this checks the splice around them.
  const Message append =
      message(append_with_entries({"{\"type\":\"put\"}", "\n\\", ""}));
  const auto& entries = std::get<AppendEntries>(append.body).entries;
  BOOST_TEST(raft::net::encode_append_entries(
                 append, raft::net::encode_entries(entries)) ==
             encode(append));
}

BOOST_AUTO_TEST_CASE(unknown_extra_fields_are_ignored) {
  std::string line = mutated(sample_frames()[0], [](json::object& object) {
    object["added_in_v2"] = json::array{1, "two", nullptr};
  });
  BOOST_TEST((decoded(line) == sample_frames()[0]));
}

BOOST_AUTO_TEST_CASE(surrounding_whitespace_and_crlf_are_accepted) {
  BOOST_TEST((decoded(" {\"type\":\"status\"} \r") == Frame{StatusRequest{}}));
}

BOOST_AUTO_TEST_CASE(a_frame_of_exactly_max_frame_bytes_is_accepted) {
  std::string line = encode(StatusRequest{});
  line.resize(raft::net::max_frame_bytes, ' ');
  BOOST_TEST((decoded(line) == Frame{StatusRequest{}}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rejects_bad_input)

BOOST_AUTO_TEST_CASE(oversized_line_is_rejected_before_parsing) {
  std::string line(raft::net::max_frame_bytes + 1, ' ');
  check_rejected(line, "over the limit");
}

BOOST_AUTO_TEST_CASE(garbage_bytes_are_rejected) {
  check_rejected(std::string_view("\xff\xfe\x00" "abc", 6), "UTF-8");
  check_rejected(std::string_view("\x00\x01\x02", 3), "invalid JSON");
  check_rejected("hello", "invalid JSON");
}

BOOST_AUTO_TEST_CASE(invalid_json_is_rejected) {
  check_rejected("", "invalid JSON");
  check_rejected("{", "invalid JSON");
  check_rejected(R"({"type":"status",})", "invalid JSON");
  check_rejected(R"({'type':'status'})", "invalid JSON");
  check_rejected(R"({"type":"status"} // comment)", "trailing");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_inside_a_string_is_rejected) {
  check_rejected("{\"type\":\"error\",\"message\":\"\xc0\xaf\"}", "UTF-8");
  check_rejected("{\"type\":\"error\",\"message\":\"\xed\xa0\x80\"}",
                 "UTF-8");
  check_rejected("{\"type\":\"error\",\"message\":\"\xf4\x90\x80\x80\"}",
                 "UTF-8");
  check_rejected("{\"type\":\"error\",\"message\":\"\xe2\x98\"}", "UTF-8");
}

BOOST_AUTO_TEST_CASE(lone_surrogate_escape_is_rejected) {
  check_rejected(R"({"type":"error","message":"\ud800"})", "invalid JSON");
}

BOOST_AUTO_TEST_CASE(deep_nesting_fails_cleanly_without_overflow) {
  check_rejected(std::string(100000, '['), "nested too deeply");
  std::string inside = R"({"type":"error","message":)" +
                       std::string(100000, '[');
  check_rejected(inside, "nested too deeply");
}

BOOST_AUTO_TEST_CASE(top_level_value_that_is_not_an_object_is_rejected) {
  for (std::string_view line : {"[]", "42", "\"status\"", "null", "true"}) {
    check_rejected(line, "must be an object");
  }
}

BOOST_AUTO_TEST_CASE(trailing_garbage_after_the_object_is_rejected) {
  check_rejected(R"({"type":"status"} x)", "trailing");
  check_rejected(R"({"type":"status"}{"type":"status"})", "trailing");
}

BOOST_AUTO_TEST_CASE(missing_or_non_string_type_is_rejected) {
  check_rejected(R"({})", "missing field 'type'");
  check_rejected(R"({"kind":"status"})", "missing field 'type'");
  check_rejected(R"({"type":7})", "field 'type' must be a string");
  check_rejected(R"({"type":null})", "field 'type' must be a string");
}

BOOST_AUTO_TEST_CASE(unknown_type_is_rejected) {
  check_rejected(R"({"type":"install_snapshot"})", "unknown type");
  check_rejected(R"({"type":"STATUS"})", "'STATUS'");
  // The echoed name stays on one line and short, whatever the peer sent.
  check_rejected(R"({"type":"a\nb"})", "'a?b'");
  check_rejected(R"({"type":")" + std::string(900, 'x') + R"("})",
                 "xxx...'");
}

BOOST_AUTO_TEST_CASE(each_missing_required_field_is_named) {
  for (const Frame& frame : sample_frames()) {
    json::object object = json::parse(encode(frame)).as_object();
    for (const auto& field : object) {
      std::string name(field.key());
      if (name == "type" || optional_field(name)) {
        continue;
      }
      BOOST_TEST_CONTEXT(encode(frame) << " without " << name) {
        check_rejected(mutated(frame, [&](json::object& o) { o.erase(name); }),
                       "missing field '" + name + "'");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(each_field_of_the_wrong_kind_is_named) {
  for (const Frame& frame : sample_frames()) {
    json::object object = json::parse(encode(frame)).as_object();
    for (const auto& field : object) {
      std::string name(field.key());
      BOOST_TEST_CONTEXT(encode(frame) << " with object " << name) {
        check_rejected(
            mutated(frame, [&](json::object& o) { o[name] = json::object{}; }),
            "field '" + name + "' must be");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(numbers_must_be_unsigned_integers_fitting_uint64) {
  std::string head = R"({"type":"request_vote_reply","from":1,"to":2,)"
                     R"("vote_granted":true,"term":)";
  for (std::string_view bad : {"-1", "1.5", "1.0", "1e2", "\"7\"", "true",
                               "null", "18446744073709551616"}) {
    BOOST_TEST_CONTEXT("term " << bad) {
      check_rejected(head + std::string(bad) + "}",
                     "field 'term' must be an unsigned integer");
    }
  }
  BOOST_TEST((decoded(head + "9007199254740991}") ==
              Frame{Message{1, 2, RequestVoteReply{raft::max_term, true}}}));
}

// A term near 2^64 would overflow a candidate's term + 1 (and a forged one
// once wedged a whole cluster): every term field stops at max_term.
BOOST_AUTO_TEST_CASE(terms_over_max_term_are_rejected) {
  const std::string over = "9007199254740992";
  const std::string limit = "over the limit of 9007199254740991";
  check_rejected(R"({"type":"request_vote","from":2,"to":1,"term":)" + over +
                     R"(,"candidate_id":2,"last_log_index":0,)"
                     R"("last_log_term":0})",
                 "field 'term' is " + over + ", " + limit);
  check_rejected(R"({"type":"request_vote","from":2,"to":1,"term":1,)"
                 R"("candidate_id":2,"last_log_index":0,"last_log_term":)" +
                     over + "}",
                 "'last_log_term' is " + over);
  check_rejected(R"({"type":"request_vote_reply","from":1,"to":2,)"
                 R"("vote_granted":true,"term":18446744073709551615})",
                 "'term' is 18446744073709551615, " + limit);
}

BOOST_AUTO_TEST_CASE(booleans_must_be_booleans) {
  std::string head = R"({"type":"request_vote_reply","from":1,"to":2,)"
                     R"("term":1,"vote_granted":)";
  for (std::string_view bad : {"1", "0", "\"true\"", "null"}) {
    check_rejected(head + std::string(bad) + "}",
                   "field 'vote_granted' must be a boolean");
  }
}

BOOST_AUTO_TEST_CASE(from_or_to_of_zero_is_rejected) {
  Frame frame = sample_frames()[0];
  check_rejected(mutated(frame, [](json::object& o) { o["from"] = 0; }),
                 "field 'from' must not be 0");
  check_rejected(mutated(frame, [](json::object& o) { o["to"] = 0; }),
                 "field 'to' must not be 0");
  check_rejected(
      mutated(frame, [](json::object& o) { o["candidate_id"] = 0; }),
      "field 'candidate_id' must not be 0");
}

BOOST_AUTO_TEST_CASE(entries_that_are_not_contiguous_are_rejected) {
  AppendEntries gap = append_with_entries({"a", "b", "c"});
  gap.entries[2].index += 1;
  check_rejected(encode(message(gap)), "field 'entries[2].index'");
  check_rejected(encode(message(gap)), "contiguous");

  AppendEntries late_start = append_with_entries({"a"});
  late_start.entries[0].index = late_start.prev_log_index;
  check_rejected(encode(message(late_start)), "field 'entries[0].index'");
}

BOOST_AUTO_TEST_CASE(entry_with_a_term_above_the_message_term_is_rejected) {
  AppendEntries rpc = append_with_entries({"a", "b"});
  rpc.entries[1].term = rpc.term + 1;
  check_rejected(encode(message(rpc)), "field 'entries[1].term'");
  check_rejected(encode(message(rpc)), "above the message's term");
}

BOOST_AUTO_TEST_CASE(more_than_max_entries_per_frame_is_rejected) {
  std::vector<std::string> data(raft::net::max_entries_per_frame, "x");
  BOOST_TEST((decoded(encode(message(append_with_entries(data)))) ==
              Frame{message(append_with_entries(data))}));

  data.push_back("x");
  check_rejected(encode(message(append_with_entries(data))),
                 "field 'entries' holds 4097 entries");
}

BOOST_AUTO_TEST_CASE(entry_type_other_than_command_or_noop_is_rejected) {
  Frame frame = message(append_with_entries({"a"}));
  auto entry_type = [&](json::value type) {
    return mutated(frame, [&](json::object& o) {
      o["entries"].as_array()[0].as_object()["type"] = type;
    });
  };
  check_rejected(entry_type("snapshot"), "field 'entries[0].type'");
  check_rejected(entry_type(1), "field 'entries[0].type' must be a string");
}

BOOST_AUTO_TEST_CASE(malformed_entries_are_rejected) {
  Frame frame = message(append_with_entries({"a"}));
  check_rejected(
      mutated(frame, [](json::object& o) { o["entries"] = "a"; }),
      "field 'entries' must be an array");
  check_rejected(
      mutated(frame, [](json::object& o) { o["entries"].as_array()[0] = 1; }),
      "field 'entries[0]' must be an object");
  for (std::string_view name : {"term", "index", "type", "data"}) {
    std::string line = mutated(frame, [&](json::object& o) {
      o["entries"].as_array()[0].as_object().erase(name);
    });
    check_rejected(line, "missing field 'entries[0]." + std::string(name));
  }
}

BOOST_AUTO_TEST_CASE(keys_over_max_key_bytes_are_rejected) {
  std::string key(raft::net::max_key_bytes, 'k');
  check_round_trip(ClientRequest{KvOp::get, "c", 1, key, "", std::nullopt});

  key.push_back('k');
  check_rejected(
      encode(ClientRequest{KvOp::get, "c", 1, key, "", std::nullopt}),
      "field 'key' is 1025 bytes");
}

BOOST_AUTO_TEST_CASE(values_over_max_value_bytes_are_rejected) {
  std::string value(raft::net::max_value_bytes, 'v');
  check_round_trip(cas(value));
  check_round_trip(ClientRequest{KvOp::put, "c", 1, "k", value, {}});

  value.push_back('v');
  check_rejected(encode(ClientRequest{KvOp::put, "c", 1, "k", value, {}}),
                 "field 'value' is");
  check_rejected(encode(cas(value)), "field 'expected' is");
}

BOOST_AUTO_TEST_CASE(empty_client_id_is_rejected) {
  check_rejected(
      encode(ClientRequest{KvOp::get, "", 1, "k", "", std::nullopt}),
      "field 'client_id' must not be empty");
}

BOOST_AUTO_TEST_CASE(unknown_role_in_status_reply_is_rejected) {
  Frame frame = sample_frames()[4];
  check_rejected(mutated(frame, [](json::object& o) { o["role"] = "boss"; }),
                 "field 'role'");
  check_rejected(
      mutated(frame,
              [](json::object& o) { o["peers"].as_array()[0] = "peer"; }),
      "field 'peers[0]' must be an object");
}

BOOST_AUTO_TEST_SUITE_END()

// fits_in_append_entries() agrees with the AppendEntries encode() writes,
// with every number at its widest, at the boundary, for data whose bytes
// take 1, 2 and 6 bytes escaped.
BOOST_AUTO_TEST_CASE(fits_in_append_entries_matches_the_encoded_frame) {
  constexpr std::uint64_t wide = std::numeric_limits<std::uint64_t>::max();
  const auto frame_bytes = [&](const std::string& data) {
    LogEntry entry{raft::max_term, wide, EntryType::command, data};
    Message message{wide, wide,
                    AppendEntries{raft::max_term, wide, wide, raft::max_term,
                                  {entry}, wide}};
    return raft::net::encode(message).size();
  };
  for (const char byte : {'a', '"', '\x01', '\n'}) {
    BOOST_TEST_CONTEXT("byte " << static_cast<int>(byte)) {
      // The longest run of `byte` that fits, by bisection.
      std::size_t fits = 0;
      std::size_t too_long = raft::net::max_frame_bytes + 1;
      for (int step = 0; step < 64 && too_long - fits > 1; ++step) {
        const std::size_t middle = fits + (too_long - fits) / 2;
        if (raft::net::fits_in_append_entries(std::string(middle, byte))) {
          fits = middle;
        } else {
          too_long = middle;
        }
      }
      const std::string data(fits, byte);
      BOOST_TEST(raft::net::fits_in_append_entries(data));
      BOOST_TEST(!raft::net::fits_in_append_entries(data + byte));
      BOOST_TEST(frame_bytes(data) <= raft::net::max_frame_bytes);
    }
  }
}
