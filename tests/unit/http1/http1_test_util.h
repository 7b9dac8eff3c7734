// Test helpers for the HTTP/1.1 codec: run a parser or body reader over an input in several
// splits (whole, one byte at a time, seeded random cuts), require that every split gives the
// same outcome, and return it in a comparable form.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/base/bytes.h"
#include "gateway/http/request_head.h"
#include "gateway/http1/body_reader.h"
#include "gateway/http1/errors.h"
#include "gateway/http1/parser.h"

namespace intransit::http1::test {

// describe renders every member of a head, so two heads compare equal as strings exactly
// when they are equal.
inline std::string describe(const http::RequestHead& h) {
  std::ostringstream o;
  o << "method=" << h.method << " authority=" << h.authority << " path=" << h.path
    << " query=" << (h.has_query ? "?" : "-") << h.query << " version=" << http::name(h.version)
    << " cl=" << (h.content_length ? std::to_string(*h.content_length) : "-")
    << " chunked=" << h.chunked << " keep_alive=" << h.keep_alive << " expect=" << h.expect_continue
    << " scheme=" << h.scheme << " fields=[";
  for (const auto& f : h.fields) o << f.name << ": " << f.value << " | ";
  o << "]";
  return o.str();
}

inline std::string describe(const http::ResponseHead& h) {
  std::ostringstream o;
  o << "status=" << h.status << " reason=" << h.reason << " version=" << http::name(h.version)
    << " cl=" << (h.content_length ? std::to_string(*h.content_length) : "-")
    << " chunked=" << h.chunked << " keep_alive=" << h.keep_alive
    << " until_close=" << h.until_close << " fields=[";
  for (const auto& f : h.fields) o << f.name << ": " << f.value << " | ";
  o << "]";
  return o.str();
}

// splits returns the split points used for `size` bytes: whole, byte by byte, and a few
// seeded random splits (deterministic across runs).
inline std::vector<std::vector<size_t>> splits(size_t size) {
  std::vector<std::vector<size_t>> out;
  out.push_back({});  // whole
  std::vector<size_t> bytewise;
  for (size_t i = 1; i < size; ++i) bytewise.push_back(i);
  out.push_back(bytewise);
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    std::mt19937 rng(seed * 7919u + static_cast<uint32_t>(size));
    std::vector<size_t> cuts;
    size_t at = 0;
    while (size > 0) {
      at += 1 + rng() % (seed * 5);
      if (at >= size) break;
      cuts.push_back(at);
    }
    out.push_back(cuts);
  }
  return out;
}

// HeadOutcome is a parser result made independent of how the input was split: `length` is
// the number of input bytes that belong to the head.
template <class Head>
struct HeadOutcome {
  enum Kind { NeedMore, Parsed, Error } kind = NeedMore;
  Head head;
  size_t length = 0;
  Errc code = Errc::BadRequestLine;
  uint32_t offset = 0;

  std::string str() const {
    switch (kind) {
      case NeedMore:
        return "need-more";
      case Parsed:
        return "parsed(" + std::to_string(length) + ") " + describe(head);
      case Error:
        return "error " + std::string(name(code)) + " at " + std::to_string(offset);
    }
    return "?";
  }
};

// run_split feeds `input` cut at `cuts` to a fresh parser made by `make`.
template <class Head, class Make>
HeadOutcome<Head> run_split(Make make, std::string_view input, const std::vector<size_t>& cuts) {
  auto parser = make();
  HeadOutcome<Head> out;
  size_t begin = 0;
  for (size_t k = 0; k <= cuts.size(); ++k) {
    const size_t end = k < cuts.size() ? cuts[k] : input.size();
    const auto r = parser.feed(as_bytes(input.substr(begin, end - begin)));
    if (const auto* p = std::get_if<Parsed<Head>>(&r)) {
      out.kind = HeadOutcome<Head>::Parsed;
      out.head = p->value;
      out.length = begin + p->consumed;
      return out;
    }
    if (const auto* e = std::get_if<ParseError<Errc>>(&r)) {
      out.kind = HeadOutcome<Head>::Error;
      out.code = e->code;
      out.offset = e->offset;
      return out;
    }
    begin = end;
  }
  return out;
}

// parse_all parses `input` in every split of `splits()` and REQUIREs identical outcomes.
template <class Head, class Make>
HeadOutcome<Head> parse_all(Make make, std::string_view input) {
  const auto all = splits(input.size());
  const auto first = run_split<Head>(make, input, all[0]);
  for (size_t s = 1; s < all.size(); ++s) {
    const auto other = run_split<Head>(make, input, all[s]);
    INFO("split #" << s);
    REQUIRE(other.str() == first.str());
  }
  return first;
}

inline HeadOutcome<http::RequestHead> parse_request(std::string_view input,
                                                    ParserLimits limits = {}) {
  return parse_all<http::RequestHead>([&] { return RequestParser(limits); }, input);
}

inline HeadOutcome<http::ResponseHead> parse_response(std::string_view input,
                                                      std::string_view method = "GET",
                                                      ParserLimits limits = {}) {
  return parse_all<http::ResponseHead>([&] { return ResponseParser(method, limits); }, input);
}

// BodyOutcome is a body decode made independent of the split.
struct BodyOutcome {
  std::string data;
  bool done = false;
  bool failed = false;
  Errc code = Errc::BadChunkSize;
  size_t length = 0;  // input bytes that belong to the body (when done)

  std::string str() const {
    if (failed) return "error " + std::string(name(code)) + " after " + std::to_string(data.size());
    return std::string(done ? "done(" : "partial(") + std::to_string(length) + ") " + data;
  }
};

// Drives any decoder with the BodyStep contract over `input` cut at `cuts`; `eof` calls
// finish() at the end (BodyReader only).
template <class Reader>
BodyOutcome run_body(Reader& r, std::string_view input, const std::vector<size_t>& cuts) {
  BodyOutcome out;
  size_t begin = 0;
  for (size_t k = 0; k <= cuts.size(); ++k) {
    const size_t end = k < cuts.size() ? cuts[k] : input.size();
    BytesView in = as_bytes(input.substr(begin, end - begin));
    size_t used = 0;
    while (true) {
      const BodyStep s = r.feed(in);
      if (s.error) {
        out.failed = true;
        out.code = *s.error;
        return out;
      }
      REQUIRE(s.consumed <= in.size());
      out.data.append(as_chars(s.data));
      in = in.subspan(s.consumed);
      used += s.consumed;
      if (s.done) {
        out.done = true;
        out.length = begin + used;
        return out;
      }
      if (in.empty() || s.consumed == 0) break;
    }
    REQUIRE(in.empty());  // not done: everything given must have been consumed
    begin = end;
  }
  return out;
}

inline BodyOutcome decode_body(BodyFraming framing, std::string_view input, bool eof = false,
                               ChunkedLimits limits = {}) {
  const auto all = splits(input.size());
  std::string first;
  BodyOutcome result;
  for (size_t s = 0; s < all.size(); ++s) {
    BodyReader reader(framing, limits);
    BodyOutcome o = run_body(reader, input, all[s]);
    if (eof && !o.done && !o.failed) {
      const BodyStep f = reader.finish();
      if (f.error) {
        o.failed = true;
        o.code = *f.error;
      } else {
        o.done = f.done;
        o.length = input.size();
      }
    }
    if (s == 0) {
      result = o;
      first = o.str();
    } else {
      INFO("split #" << s);
      REQUIRE(o.str() == first);
    }
  }
  return result;
}

}  // namespace intransit::http1::test
