// libFuzzer target: a backend byte stream through the HTTP/1.1 response path (ResponseParser
// with interim responses, BodyReader with response_framing, keep-alive reuse).
//
// Input byte 0 picks the request method (bit 0: HEAD) and seeds the split of the rest.
// Oracles: the sanitizers; identical traces whole and split; every final head the parser
// accepts serializes for an HTTP/1.1 client after prepare_client_response.
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

std::string describe(const http::ResponseHead& h) {
  std::string s = std::to_string(h.status) + " " + h.reason + " " +
                  std::string(http::name(h.version)) +
                  " cl=" + (h.content_length ? std::to_string(*h.content_length) : "-") +
                  " te=" + (h.chunked ? "1" : "0") + " ka=" + (h.keep_alive ? "1" : "0") +
                  " uc=" + (h.until_close ? "1" : "0") + " [";
  for (const auto& f : h.fields) s += f.name + ": " + f.value + "|";
  return s + "]";
}

void check_serializes(const http::ResponseHead& head, std::string_view method) {
  http::ResponseHead h = head;
  http::prepare_client_response(h);
  ByteQueue q;
  BodyFraming f = response_framing(h, method);
  if (f.kind == BodyKind::None && h.content_length && h.status >= 200) {
    f = BodyFraming::of_length(*h.content_length);  // HEAD / 304 relay
  }
  if (!write_response(h, f, http::Version::Http11, q)) __builtin_trap();
}

std::string run(BytesView input, std::string_view method, std::optional<uint8_t> seed, bool check) {
  uint32_t x = 0x68e31da4u ^ (seed ? *seed : 0);
  std::string trace;
  ResponseParser parser(method, kLimits);
  std::optional<BodyReader> body;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t n = input.size() - pos;
    if (seed) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      n = std::min(n, size_t{1} + x % 37);
    }
    BytesView piece = input.subspan(pos, n);
    pos += n;
    while (!piece.empty()) {
      if (!body) {
        auto r = parser.feed(piece);
        if (std::holds_alternative<NeedMore>(r)) break;
        if (const auto* e = std::get_if<ParseError<Errc>>(&r)) {
          return trace + "E" + std::string(name(e->code)) + "@" + std::to_string(e->offset);
        }
        auto& parsed = std::get<Parsed<http::ResponseHead>>(r);
        if (parsed.consumed > piece.size()) __builtin_trap();
        trace += "H" + describe(parsed.value) + "\n";
        piece = piece.subspan(parsed.consumed);
        if (parsed.value.status < 200) {  // interim: the final response follows
          parser.reset(method);
          continue;
        }
        if (check) check_serializes(parsed.value, method);
        body.emplace(response_framing(parsed.value, method), kChunked);
        if (body->done()) {
          trace += "|end\n";
          body.reset();
          parser.reset(method);
        }
        continue;
      }
      const BodyStep s = body->feed(piece);
      if (s.error) return trace + "B" + std::string(name(*s.error));
      if (s.consumed > piece.size() || (s.consumed == 0 && !s.done)) __builtin_trap();
      trace.append(as_chars(s.data));
      piece = piece.subspan(s.consumed);
      if (s.done) {
        trace += "|end\n";
        body.reset();
        parser.reset(method);
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
  const std::string_view method = (data[0] & 1) ? "HEAD" : "GET";
  const BytesView input(data + 1, size - 1);
  if (run(input, method, std::nullopt, true) != run(input, method, data[0], false)) {
    __builtin_trap();
  }
  return 0;
}
