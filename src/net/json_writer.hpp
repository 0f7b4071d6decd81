// Writes one compact JSON object straight into a string, fields in the
// order they are written. The codec uses it instead of building a
// boost::json::object only to print it: every frame a node sends passes
// through here.
//
// The bytes are the ones boost::json::serialize prints for the same object:
// the same escapes, no spaces (codec_test checks this).
#pragma once

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

  // A value that is already one complete JSON value, written as it is.
  void raw(std::string_view json) {
    separate();
    out_.append(json);
    need_comma_ = true;
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
    std::size_t plain_from = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const auto byte = static_cast<unsigned char>(text[i]);
      if (byte >= 0x20 && byte != '"' && byte != '\\') {
        continue;
      }
      out_.append(text.data() + plain_from, i - plain_from);
      plain_from = i + 1;
      out_.push_back('\\');
      switch (byte) {
        case '"':
        case '\\':
          out_.push_back(static_cast<char>(byte));
          break;
        case '\b':
          out_.push_back('b');
          break;
        case '\f':
          out_.push_back('f');
          break;
        case '\n':
          out_.push_back('n');
          break;
        case '\r':
          out_.push_back('r');
          break;
        case '\t':
          out_.push_back('t');
          break;
        default:
          out_.append("u00");
          out_.push_back(hex[byte >> 4]);
          out_.push_back(hex[byte & 0xF]);
      }
    }
    out_.append(text.data() + plain_from, text.size() - plain_from);
    out_.push_back('"');
  }

  std::string& out_;
  bool need_comma_ = false;
};

}  // namespace raft::net
