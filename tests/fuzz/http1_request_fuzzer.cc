// libFuzzer target: a client byte stream through the HTTP/1.1 request path as the glue runs
// it (RequestParser, then BodyReader with request_framing, then the next pipelined request).
//
// The first input byte seeds how the rest is split into reads. Oracles, beyond the
// sanitizers:
//  * split invariance: the event trace (heads, body bytes, end markers, errors with
//    offsets) is identical when the stream is fed whole and when it is fed in random pieces;
//  * every accepted HTTP/1.1 head serializes (write_request never refuses what the parser
//    accepted) and re-parses to the same head, before and after prepare_backend_request.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "gateway/base/byte_queue.h"
#include "gateway/http/field_rules.h"
#include "gateway/http1/body_reader.h"
#include "gateway/http1/parser.h"
#include "gateway/http1/serializer.h"

using namespace intransit;
using namespace intransit::http1;

namespace {

constexpr ParserLimits kLimits{2048, 24, 512};
constexpr ChunkedLimits kChunked{0x7fff'ffff'ffff'ffffULL, 64, 256, 8};

// describe renders a head; `managed` keeps the fields the serializer rewrites, `expect`
// keeps the expect flag (prepare_backend_request may strip an Expect that Connection named).
std::string describe(const http::RequestHead& h, bool managed, bool expect = true) {
  std::string s = h.method + " " + h.authority + " " + h.path + (h.has_query ? "?" : "-") +
                  h.query + " " + std::string(http::name(h.version)) +
                  " cl=" + (h.content_length ? std::to_string(*h.content_length) : "-") +
                  " te=" + (h.chunked ? "1" : "0") + " ka=" + (h.keep_alive ? "1" : "0") +
                  " ex=" + (expect && h.expect_continue ? "1" : "0") + " [";
  for (const auto& f : h.fields) {
    if (!managed &&
        (f.name == "content-length" || f.name == "transfer-encoding" || f.name == "connection")) {
      continue;
    }
    s += f.name + ": " + f.value + "|";
  }
  return s + "]";
}

// Splitter yields piece lengths: everything at once, or pseudo-random lengths from a seed.
class Splitter {
 public:
  explicit Splitter(std::optional<uint8_t> seed)
      : whole_(!seed), x_(0x9e3779b9u ^ (seed ? *seed : 0)) {}
  size_t next(size_t left) {
    if (whole_) return left;
    x_ ^= x_ << 13;
    x_ ^= x_ >> 17;
    x_ ^= x_ << 5;
    const size_t max = 1 + (x_ >> 24) % 40;
    return std::min(left, 1 + (x_ % max));
  }

 private:
  bool whole_;
  uint32_t x_;
};

std::string reparse(const std::string& wire, bool expect, size_t& consumed, bool& ok) {
  RequestParser p(ParserLimits{1u << 20, 1000, 1u << 20});
  auto r = p.feed(as_bytes(wire));
  ok = std::holds_alternative<Parsed<http::RequestHead>>(r);
  if (!ok) return {};
  const auto& parsed = std::get<Parsed<http::RequestHead>>(r);
  consumed = parsed.consumed;
  return describe(parsed.value, false, expect);
}

void check_round_trip(const http::RequestHead& head) {
  if (head.version != http::Version::Http11 || head.authority.empty()) return;
  for (int pass = 0; pass < 2; ++pass) {
    http::RequestHead h = head;
    if (pass == 1) http::prepare_backend_request(h, "2001:db8::7", "https");
    ByteQueue q;
    if (!write_request(h, request_framing(h), q)) __builtin_trap();
    std::string wire(q.size(), '\0');
    q.copy_out(std::span<uint8_t>(reinterpret_cast<uint8_t*>(wire.data()), wire.size()));
    size_t consumed = 0;
    bool ok = false;
    const bool expect = pass == 0;
    const std::string again = reparse(wire, expect, consumed, ok);
    if (!ok || consumed != wire.size()) __builtin_trap();
    if (again != describe(h, false, expect)) __builtin_trap();
  }
}

std::string run(BytesView input, std::optional<uint8_t> seed, bool round_trip) {
  Splitter split(seed);
  std::string trace;
  RequestParser parser(kLimits);
  std::optional<BodyReader> body;
  size_t pos = 0;
  while (pos < input.size()) {
    const size_t n = split.next(input.size() - pos);
    BytesView piece = input.subspan(pos, n);
    pos += n;
    while (!piece.empty()) {
      if (!body) {
        auto r = parser.feed(piece);
        if (std::holds_alternative<NeedMore>(r)) break;
        if (const auto* e = std::get_if<ParseError<Errc>>(&r)) {
          return trace + "E" + std::string(name(e->code)) + "@" + std::to_string(e->offset);
        }
        auto& parsed = std::get<Parsed<http::RequestHead>>(r);
        if (parsed.consumed > piece.size()) __builtin_trap();
        trace += "H" + describe(parsed.value, true) + "\n";
        if (round_trip) check_round_trip(parsed.value);
        piece = piece.subspan(parsed.consumed);
        body.emplace(request_framing(parsed.value), kChunked);
        if (body->done()) {
          trace += "|end\n";
          body.reset();
          parser.reset();
        }
        continue;
      }
      const BodyStep s = body->feed(piece);
      if (s.error) return trace + "B" + std::string(name(*s.error));
      if (s.consumed > piece.size() || s.data.size() > s.consumed) __builtin_trap();
      if (s.consumed == 0 && !s.done) __builtin_trap();  // must make progress
      trace.append(as_chars(s.data));
      piece = piece.subspan(s.consumed);
      if (s.done) {
        trace += "|end\n";
        body.reset();
        parser.reset();
      }
    }
  }
  if (body) {
    const BodyStep s = body->finish();
    trace += s.error ? "B" + std::string(name(*s.error)) : "|eof";
  }
  return trace;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t seed = data[0];
  const BytesView input(data + 1, size - 1);
  const std::string whole = run(input, std::nullopt, true);
  const std::string split = run(input, seed, false);
  if (whole != split) __builtin_trap();
  return 0;
}
