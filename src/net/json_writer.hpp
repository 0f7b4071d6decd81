// Writes one compact JSON object straight into a string, fields in the
// order they are written. The codec uses it instead of building a
// boost::json::object only to print it: every frame a node sends passes
// through here.
//
// The bytes are the ones boost::json::serialize prints for the same object:
// the same escapes, no spaces (codec_test checks this).
#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace raft::net {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  // Starts a field; its value comes next.
  void key(std::string_view name) {
    separate();
    append_string(name);
    out_.push_back(':');
    need_comma_ = false;
  }

  void number(std::uint64_t value) {
    separate();
    char digits[20];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    out_.append(digits, result.ptr);
    need_comma_ = true;
  }

  void boolean(bool value) {
    separate();
    out_.append(value ? "true" : "false");
    need_comma_ = true;
  }

  void null() {
    separate();
    out_.append("null");
    need_comma_ = true;
  }

  void string(std::string_view text) {
    separate();
    append_string(text);
    need_comma_ = true;
  }

  // How many bytes string(text) appends, quotes included.
  static std::size_t string_bytes(std::string_view text) {
    std::size_t bytes = 2 + text.size();
    for (const char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (const char escape = escapes[byte]; escape != 0) {
        bytes += escape == 'u' ? 5 : 1;  // \u00XX or \n
      }
    }
    return bytes;
  }

  // A value that is already one complete JSON value, written as it is.
  void raw(std::string_view json) {
    separate();
    out_.append(json);
    need_comma_ = true;
  }

  // A field and its value in one call. Named by kind, not overloaded: a
  // string literal would otherwise convert to bool before string_view.
  void number_field(std::string_view name, std::uint64_t value) {
    key(name);
    number(value);
  }
  void boolean_field(std::string_view name, bool value) {
    key(name);
    boolean(value);
  }
  void string_field(std::string_view name, std::string_view text) {
    key(name);
    string(text);
  }

 private:
  void separate() {
    if (need_comma_) {
      out_.push_back(',');
    }
  }

  void open(char bracket) {
    separate();
    out_.push_back(bracket);
    need_comma_ = false;
  }

  void close(char bracket) {
    out_.push_back(bracket);
    need_comma_ = true;
  }

  // Quotes `text`, escaping what JSON requires: '"', '\\' and control
  // characters. Other bytes, UTF-8 included, go out as they are. Runs of
  // plain bytes are copied in one append.
  void append_string(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out_.push_back('"');
    const char* run = text.data();
    const char* const end = text.data() + text.size();
    for (const char* at = run; at != end; ++at) {
      const auto byte = static_cast<unsigned char>(*at);
      const char escape = escapes[byte];
      if (escape == 0) {
        continue;
      }
      out_.append(run, static_cast<std::size_t>(at - run));
      out_.push_back('\\');
      out_.push_back(escape);
      if (escape == 'u') {
        const char code[] = {'0', '0', hex[byte >> 4], hex[byte & 0xF]};
        out_.append(code, sizeof code);
      }
      run = at + 1;
    }
    out_.append(run, static_cast<std::size_t>(end - run));
    out_.push_back('"');
  }

  // For each byte, the letter after the backslash that escapes it ('u' for
  // \u00XX), or 0 for a byte written as it is.
  static constexpr std::array<char, 256> escapes = [] {
    std::array<char, 256> table{};
    for (int byte = 0; byte < 0x20; ++byte) {
      table[byte] = 'u';
    }
    table['"'] = '"';
    table['\\'] = '\\';
    table['\b'] = 'b';
    table['\f'] = 'f';
    table['\n'] = 'n';
    table['\r'] = 'r';
    table['\t'] = 't';
    return table;
  }();

  std::string& out_;
  bool need_comma_ = false;
};

}  // namespace raft::net
