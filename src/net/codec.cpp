#include "raft/net/codec.hpp"

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "json_writer.hpp"

namespace raft::net {
namespace {

namespace json = boost::json;

// ---------------------------------------------------------------- encoding

const char* entry_type_name(EntryType type) {
  return type == EntryType::noop ? "noop" : "command";
}

const char* op_name(KvOp op) {
  switch (op) {
    case KvOp::put:
      return "put";
    case KvOp::get:
      return "get";
    case KvOp::del:
      return "delete";
    case KvOp::cas:
      return "cas";
  }
  return "unknown";
}

void write_entries(JsonWriter& out, std::span<const LogEntry> entries) {
  out.begin_array();
  for (const LogEntry& entry : entries) {
    out.begin_object();
    out.number_field("term", entry.term);
    out.number_field("index", entry.index);
    out.string_field("type", entry_type_name(entry.type));
    out.string_field("data", entry.data);
    out.end_object();
  }
  out.end_array();
}

// Writes a message body's Figure 2 fields, under their struct names.
struct BodyEncoder {
  JsonWriter& out;
  // An AppendEntries' entries, already encoded; empty: encode them here.
  std::string_view entries_json;

  void operator()(const RequestVote& rpc) const {
    out.number_field("term", rpc.term);
    out.number_field("candidate_id", rpc.candidate_id);
    out.number_field("last_log_index", rpc.last_log_index);
    out.number_field("last_log_term", rpc.last_log_term);
  }

  void operator()(const RequestVoteReply& rpc) const {
    out.number_field("term", rpc.term);
    out.boolean_field("vote_granted", rpc.vote_granted);
  }

  void operator()(const AppendEntries& rpc) const {
    out.number_field("term", rpc.term);
    out.number_field("leader_id", rpc.leader_id);
    out.number_field("prev_log_index", rpc.prev_log_index);
    out.number_field("prev_log_term", rpc.prev_log_term);
    out.key("entries");
    if (entries_json.empty()) {
      write_entries(out, rpc.entries);
    } else {
      out.raw(entries_json);
    }
    out.number_field("leader_commit", rpc.leader_commit);
  }

  void operator()(const AppendEntriesReply& rpc) const {
    out.number_field("term", rpc.term);
    out.boolean_field("success", rpc.success);
    out.number_field("match_index", rpc.match_index);
    out.number_field("conflict_term", rpc.conflict_term);
    out.number_field("conflict_index", rpc.conflict_index);
  }
};

void write_optional_string(JsonWriter& out,
                           const std::optional<std::string>& text) {
  if (text) {
    out.string(*text);
  } else {
    out.null();
  }
}

// The "type" of each kind of frame.
struct FrameTypeName {
  const char* operator()(const Message& message) const {
    return type_name(message.body);
  }
  const char* operator()(const StatusRequest&) const { return "status"; }
  const char* operator()(const StatusReply&) const { return "status_reply"; }
  const char* operator()(const ClientRequest& request) const {
    return op_name(request.op);
  }
  const char* operator()(const ClientReply&) const { return "reply"; }
  const char* operator()(const ErrorReply&) const { return "error"; }
};

// Writes the fields of each kind of frame after its "type", which comes
// first so that a person reading a line sees what it is at once.
struct FrameEncoder {
  JsonWriter& out;
  std::string_view entries_json;

  void operator()(const Message& message) const {
    out.number_field("from", message.from);
    out.number_field("to", message.to);
    std::visit(BodyEncoder{out, entries_json}, message.body);
  }

  void operator()(const StatusRequest&) const {}

  void operator()(const StatusReply& status) const {
    out.number_field("id", status.id);
    out.string_field("role", to_string(status.role));
    out.number_field("term", status.term);
    out.number_field("leader_id", status.leader_id);
    out.number_field("commit_index", status.commit_index);
    out.number_field("last_applied", status.last_applied);
    out.number_field("last_log_index", status.last_log_index);
    out.key("peers");
    out.begin_array();
    for (const PeerProgress& peer : status.peers) {
      out.begin_object();
      out.number_field("id", peer.id);
      out.number_field("match_index", peer.match_index);
      out.number_field("next_index", peer.next_index);
      out.end_object();
    }
    out.end_array();
    out.number_field("keys", status.keys);
    out.number_field("state_digest", status.state_digest);
  }

  void operator()(const ClientRequest& request) const {
    out.string_field("client_id", request.client_id);
    out.number_field("seq", request.seq);
    out.string_field("key", request.key);
    if (request.op == KvOp::put || request.op == KvOp::cas) {
      out.string_field("value", request.value);
    }
    if (request.op == KvOp::cas) {
      out.key("expected");
      write_optional_string(out, request.expected);
    }
  }

  void operator()(const ClientReply& reply) const {
    out.number_field("seq", reply.seq);
    out.boolean_field("ok", reply.ok);
    out.string_field("error", reply.error);
    out.string_field("message", reply.message);
    out.key("value");
    write_optional_string(out, reply.value);
    out.number_field("leader_id", reply.leader_id);
    out.string_field("leader_address", reply.leader_address);
  }

  void operator()(const ErrorReply& error) const {
    out.string_field("message", error.message);
  }
};

}  // namespace

const char* type_name(const Frame& frame) {
  return std::visit(FrameTypeName{}, frame);
}

namespace {

// ---------------------------------------------------------------- decoding

// Thrown by the field readers below and caught only in decode(), so that
// each decoder reads as a straight list of fields.
struct Reject {
  std::string message;
};

[[noreturn]] void reject(std::string message) {
  throw Reject{std::move(message)};
}

// The names every error message uses for the JSON kinds it expects.
constexpr std::string_view unsigned_kind = "an unsigned integer";
constexpr std::string_view bool_kind = "a boolean";
constexpr std::string_view string_kind = "a string";
constexpr std::string_view array_kind = "an array";
constexpr std::string_view object_kind = "an object";

// Reads the fields of one JSON object; `path` ("entries[2].") prefixes field
// names in errors so a nested problem is easy to find.
class Fields {
 public:
  Fields(const json::object& object, std::string path)
      : object_(object), path_(std::move(path)) {}

  std::uint64_t number(std::string_view name) const {
    const json::value& value = required(name);
    if (value.is_uint64()) {
      return value.get_uint64();
    }
    // Boost.JSON keeps small non-negative integers as int64.
    if (value.is_int64() && value.get_int64() >= 0) {
      return static_cast<std::uint64_t>(value.get_int64());
    }
    wrong_kind(name, unsigned_kind);
  }

  // A term: an unsigned integer no higher than max_term.
  Term term(std::string_view name) const {
    const Term term = number(name);
    if (term > max_term) {
      reject(quoted(name) + " is " + std::to_string(term) +
             ", over the limit of " + std::to_string(max_term));
    }
    return term;
  }

  // A node id: an unsigned integer, and never 0, which means "nobody".
  NodeId node(std::string_view name) const {
    NodeId id = number(name);
    if (id == no_node) {
      reject(quoted(name) + " must not be 0");
    }
    return id;
  }

  bool boolean(std::string_view name) const {
    const json::value& value = required(name);
    if (!value.is_bool()) {
      wrong_kind(name, bool_kind);
    }
    return value.get_bool();
  }

  std::string text(std::string_view name, std::size_t max_bytes) const {
    return checked_text(name, required(name), max_bytes);
  }

  // Absent and null both mean "no string".
  std::optional<std::string> optional_text(std::string_view name,
                                           std::size_t max_bytes) const {
    const json::value* value = object_.if_contains(name);
    if (value == nullptr || value->is_null()) {
      return std::nullopt;
    }
    return checked_text(name, *value, max_bytes);
  }

  const json::array& array(std::string_view name) const {
    const json::value& value = required(name);
    if (!value.is_array()) {
      wrong_kind(name, array_kind);
    }
    return value.get_array();
  }

  // The field name as error messages show it: 'entries[2].term'.
  std::string quoted(std::string_view name) const {
    return "field '" + path_ + std::string(name) + "'";
  }

 private:
  const json::value& required(std::string_view name) const {
    const json::value* value = object_.if_contains(name);
    if (value == nullptr) {
      reject("missing field '" + path_ + std::string(name) + "'");
    }
    return *value;
  }

  std::string checked_text(std::string_view name, const json::value& value,
                           std::size_t max_bytes) const {
    if (!value.is_string()) {
      wrong_kind(name, string_kind);
    }
    const json::string& text = value.get_string();
    if (text.size() > max_bytes) {
      reject(quoted(name) + " is " + std::to_string(text.size()) +
             " bytes, over the limit of " + std::to_string(max_bytes));
    }
    return std::string(text);
  }

  [[noreturn]] void wrong_kind(std::string_view name,
                               std::string_view kind) const {
    reject(quoted(name) + " must be " + std::string(kind));
  }

  const json::object& object_;
  std::string path_;
};

const json::object& as_object(const json::value& value,
                              const std::string& what) {
  if (!value.is_object()) {
    reject(what + " must be " + std::string(object_kind));
  }
  return value.get_object();
}

// --- peer messages

RequestVote read_request_vote(const Fields& fields) {
  RequestVote rpc;
  rpc.term = fields.term("term");
  rpc.candidate_id = fields.node("candidate_id");
  rpc.last_log_index = fields.number("last_log_index");
  rpc.last_log_term = fields.term("last_log_term");
  return rpc;
}

RequestVoteReply read_request_vote_reply(const Fields& fields) {
  RequestVoteReply rpc;
  rpc.term = fields.term("term");
  rpc.vote_granted = fields.boolean("vote_granted");
  return rpc;
}

EntryType read_entry_type(const Fields& fields) {
  std::string type = fields.text("type", max_key_bytes);
  if (type == "command") {
    return EntryType::command;
  }
  if (type == "noop") {
    return EntryType::noop;
  }
  reject(fields.quoted("type") + " must be \"command\" or \"noop\"");
}

// Entry `position` of an AppendEntries; it must sit right after the one
// before it (Log Matching needs a gapless batch) and can be no newer than the
// leader's own term.
LogEntry read_entry(const json::value& value, std::size_t position,
                    const AppendEntries& rpc) {
  std::string path = "entries[" + std::to_string(position) + "]";
  Fields fields(as_object(value, "field '" + path + "'"), path + ".");
  LogEntry entry;
  entry.term = fields.term("term");
  entry.index = fields.number("index");
  entry.type = read_entry_type(fields);
  entry.data = fields.text("data", max_frame_bytes);

  Index expected = rpc.prev_log_index + 1 + position;
  if (entry.index != expected) {
    reject(fields.quoted("index") + " is " + std::to_string(entry.index) +
           " but must be " + std::to_string(expected) +
           ": entries must be contiguous after prev_log_index");
  }

  if (entry.term > rpc.term) {
    reject(fields.quoted("term") + " is " + std::to_string(entry.term) +
           ", above the message's term " + std::to_string(rpc.term));
  }
  return entry;
}

std::vector<LogEntry> read_entries(const Fields& fields,
                                   const AppendEntries& rpc) {
  const json::array& array = fields.array("entries");
  if (array.size() > max_entries_per_frame) {
    reject(fields.quoted("entries") + " holds " +
           std::to_string(array.size()) + " entries, over the limit of " +
           std::to_string(max_entries_per_frame));
  }

  std::vector<LogEntry> entries;
  entries.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    entries.push_back(read_entry(array[i], i, rpc));
  }
  return entries;
}

AppendEntries read_append_entries(const Fields& fields) {
  AppendEntries rpc;
  rpc.term = fields.term("term");
  rpc.leader_id = fields.node("leader_id");
  rpc.prev_log_index = fields.number("prev_log_index");
  rpc.prev_log_term = fields.term("prev_log_term");
  rpc.leader_commit = fields.number("leader_commit");

  // Entries last: checking them needs term and prev_log_index.
  rpc.entries = read_entries(fields, rpc);
  return rpc;
}

AppendEntriesReply read_append_entries_reply(const Fields& fields) {
  AppendEntriesReply rpc;
  rpc.term = fields.term("term");
  rpc.success = fields.boolean("success");
  rpc.match_index = fields.number("match_index");
  rpc.conflict_term = fields.term("conflict_term");
  rpc.conflict_index = fields.number("conflict_index");
  return rpc;
}

template <auto read_body>
Frame decode_message(const Fields& fields) {
  Message message;
  message.from = fields.node("from");
  message.to = fields.node("to");
  message.body = read_body(fields);
  return message;
}

// --- status

Frame decode_status(const Fields&) { return StatusRequest{}; }

Role read_role(const Fields& fields) {
  std::string role = fields.text("role", max_key_bytes);
  for (Role known : {Role::follower, Role::candidate, Role::leader}) {
    if (role == to_string(known)) {
      return known;
    }
  }
  reject(fields.quoted("role") +
         " must be \"follower\", \"candidate\" or \"leader\"");
}

PeerProgress read_peer(const json::value& value, std::size_t position) {
  std::string path = "peers[" + std::to_string(position) + "]";
  Fields fields(as_object(value, "field '" + path + "'"), path + ".");
  PeerProgress peer;
  peer.id = fields.node("id");
  peer.match_index = fields.number("match_index");
  peer.next_index = fields.number("next_index");
  return peer;
}

Frame decode_status_reply(const Fields& fields) {
  StatusReply status;
  status.id = fields.node("id");
  status.role = read_role(fields);
  status.term = fields.term("term");
  status.leader_id = fields.number("leader_id");
  status.commit_index = fields.number("commit_index");
  status.last_applied = fields.number("last_applied");
  status.last_log_index = fields.number("last_log_index");

  const json::array& peers = fields.array("peers");
  for (std::size_t i = 0; i < peers.size(); ++i) {
    status.peers.push_back(read_peer(peers[i], i));
  }
  status.keys = fields.number("keys");
  status.state_digest = fields.number("state_digest");
  return status;
}

// --- clients

template <KvOp op>
Frame decode_client_request(const Fields& fields) {
  ClientRequest request;
  request.op = op;
  request.client_id = fields.text("client_id", max_key_bytes);
  if (request.client_id.empty()) {
    reject(fields.quoted("client_id") + " must not be empty");
  }
  request.seq = fields.number("seq");
  request.key = fields.text("key", max_key_bytes);

  if (op == KvOp::put || op == KvOp::cas) {
    request.value = fields.text("value", max_value_bytes);
  }
  if (op == KvOp::cas) {
    request.expected = fields.optional_text("expected", max_value_bytes);
  }
  return request;
}

Frame decode_client_reply(const Fields& fields) {
  ClientReply reply;
  reply.seq = fields.number("seq");
  reply.ok = fields.boolean("ok");
  reply.error = fields.text("error", max_key_bytes);
  reply.message = fields.text("message", max_value_bytes);
  reply.value = fields.optional_text("value", max_value_bytes);
  reply.leader_id = fields.number("leader_id");
  reply.leader_address = fields.text("leader_address", max_key_bytes);
  return reply;
}

Frame decode_error_reply(const Fields& fields) {
  return ErrorReply{fields.text("message", max_value_bytes)};
}

// --- dispatch on "type"

struct FrameKind {
  std::string_view type;
  Frame (*decode)(const Fields&);
};

constexpr std::array<FrameKind, 12> frame_kinds{{
    {"request_vote", &decode_message<read_request_vote>},
    {"request_vote_reply", &decode_message<read_request_vote_reply>},
    {"append_entries", &decode_message<read_append_entries>},
    {"append_entries_reply", &decode_message<read_append_entries_reply>},
    {"status", &decode_status},
    {"status_reply", &decode_status_reply},
    {"put", &decode_client_request<KvOp::put>},
    {"get", &decode_client_request<KvOp::get>},
    {"delete", &decode_client_request<KvOp::del>},
    {"cas", &decode_client_request<KvOp::cas>},
    {"reply", &decode_client_reply},
    {"error", &decode_error_reply},
}};

// A peer-supplied string fit to quote in a one-line error: control bytes
// become '?' and long text is cut, so a hostile value cannot forge log lines.
std::string printable(std::string_view text) {
  constexpr std::size_t max_shown_bytes = 64;
  std::string shown(text.substr(0, max_shown_bytes));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = '?';
    }
  }
  if (text.size() > max_shown_bytes) {
    shown += "...";
  }
  return shown;
}

Frame decode_object(const json::object& object) {
  Fields fields(object, "");
  std::string type = fields.text("type", max_key_bytes);
  for (const FrameKind& kind : frame_kinds) {
    if (kind.type == type) {
      return kind.decode(fields);
    }
  }
  reject("unknown type '" + printable(type) + "'");
}

// --- raw text checks, before any JSON is parsed

// Length of the well-formed UTF-8 sequence (RFC 3629) that starts at `at`,
// or 0 if there is none: overlong forms, surrogates and code points above
// U+10FFFF are all ill-formed.
std::size_t utf8_sequence_bytes(std::string_view text, std::size_t at) {
  auto byte = [&](std::size_t offset) -> unsigned {
    std::size_t i = at + offset;
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0x100U;
  };
  auto follows = [&](std::size_t offset, unsigned low, unsigned high) {
    return byte(offset) >= low && byte(offset) <= high;
  };
  unsigned lead = byte(0);

  if (lead < 0x80) {
    return 1;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    return follows(1, 0x80, 0xBF) ? 2 : 0;
  }
  if (lead >= 0xE0 && lead <= 0xEF) {
    unsigned low = lead == 0xE0 ? 0xA0 : 0x80;
    unsigned high = lead == 0xED ? 0x9F : 0xBF;
    return follows(1, low, high) && follows(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    unsigned low = lead == 0xF0 ? 0x90 : 0x80;
    unsigned high = lead == 0xF4 ? 0x8F : 0xBF;
    return follows(1, low, high) && follows(2, 0x80, 0xBF) &&
                   follows(3, 0x80, 0xBF)
               ? 4
               : 0;
  }
  return 0;
}

// Boost.JSON reports bad UTF-8 as a bare syntax error; finding it ourselves
// lets the error say what is wrong and where.
void check_utf8(std::string_view line) {
  std::size_t at = 0;
  while (at < line.size()) {
    std::size_t bytes = utf8_sequence_bytes(line, at);
    if (bytes == 0) {
      reject("invalid UTF-8 at byte " + std::to_string(at));
    }
    at += bytes;
  }
}

void check_size(std::string_view line) {
  if (line.size() > max_frame_bytes) {
    reject("frame is " + std::to_string(line.size()) +
           " bytes, over the limit of " + std::to_string(max_frame_bytes));
  }
}

std::string parse_failure(const boost::system::error_code& error) {
  if (error == json::error::extra_data) {
    return "trailing data after the JSON object";
  }
  if (error == json::error::too_deep) {
    return "invalid JSON: nested too deeply";
  }
  if (error == json::error::incomplete) {
    return "invalid JSON: incomplete (empty or cut short)";
  }
  return "invalid JSON: " + error.message();
}

Frame decode_line(std::string_view line) {
  check_size(line);

  // No frame nests deeper than 3 (message, entries, entry); a low bound
  // stops a line of '[' from exhausting the parser's stack.
  json::parse_options options;
  options.max_depth = 8;

  // One arena per line: the parsed tree is freed in one step on return.
  // The parser checks UTF-8 itself; only a line it refuses is scanned again,
  // so that the error can say where the bad byte is.
  json::monotonic_resource arena;
  boost::system::error_code error;
  json::value root = json::parse(line, error, &arena, options);
  if (error) {
    check_utf8(line);
    reject(parse_failure(error));
  }

  return decode_object(as_object(root, "a frame"));
}

}  // namespace

namespace {

// A guess at a frame's length, so that the line is allocated once: the
// fixed fields, plus each entry's data with room for some escapes.
std::size_t expected_bytes(const Frame& frame) {
  std::size_t bytes = 256;
  if (const auto* message = std::get_if<Message>(&frame)) {
    if (const auto* append = std::get_if<AppendEntries>(&message->body)) {
      for (const LogEntry& entry : append->entries) {
        bytes += 80 + entry.data.size() + entry.data.size() / 4;
      }
    }
  } else if (const auto* request = std::get_if<ClientRequest>(&frame)) {
    bytes += request->key.size() + request->value.size();
  } else if (const auto* reply = std::get_if<ClientReply>(&frame)) {
    bytes += reply->message.size() + (reply->value ? reply->value->size() : 0);
  }
  return bytes;
}

std::string encode_frame(const Frame& frame, std::string_view entries_json) {
  std::string line;
  line.reserve(entries_json.empty() ? expected_bytes(frame)
                                    : 256 + entries_json.size());
  JsonWriter out(line);
  out.begin_object();
  out.string_field("type", type_name(frame));
  std::visit(FrameEncoder{out, entries_json}, frame);
  out.end_object();
  return line;
}

}  // namespace

std::string encode(const Frame& frame) { return encode_frame(frame, {}); }

std::string encode_entries(std::span<const LogEntry> entries) {
  std::string json;
  JsonWriter out(json);
  write_entries(out, entries);
  return json;
}

bool fits_in_append_entries(std::string_view data) {
  // Escaping at most sextuples a byte: only long data needs counting.
  constexpr std::size_t room = max_frame_bytes - append_entries_overhead_bytes;
  return data.size() <= (room - 2) / 6 ||
         JsonWriter::string_bytes(data) <= room;
}

std::string encode_append_entries(const Message& message,
                                  std::string_view entries_json) {
  assert(std::holds_alternative<AppendEntries>(message.body));
  return encode_frame(message, entries_json);
}

std::variant<Frame, DecodeError> decode(std::string_view line) {
  try {
    return decode_line(line);
  } catch (Reject& rejected) {
    return DecodeError{std::move(rejected.message)};
  } catch (const std::bad_alloc&) {
    // Bounded by max_frame_bytes, but memory may still run out.
    return DecodeError{"out of memory while decoding a frame"};
  }
}

}  // namespace raft::net
