// The HTTP/1.1 cases of /work/shared/security/http/smuggle_test.py (69 of them: PortSwigger
// CL.TE / TE.CL / TE.TE, defparam smuggler mutations, HTTP Garden chunk framing, RFC 9112
// MUSTs), built byte for byte as the script builds them and run through the codec as the
// glue runs it: RequestParser on the bytes, then BodyReader with request_framing() on the
// rest, then any leftover parsed as pipelined requests. Each case names the strict verdict:
// accepted with a framing and body, or refused with a specific Errc by the head parser or
// the body reader. For the script's "no-desync" cases we assert the strict choice.
// Every case runs split-invariant (whole, byte by byte, random splits).
#include <catch2/catch.hpp>

#include <cstdio>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gateway/http1/body_reader.h"
#include "gateway/http1/parser.h"
#include "tests/unit/http1/http1_test_util.h"

using namespace intransit;
using namespace intransit::http1;

namespace {

// The script's parameters: prefix, Host and case id.
const std::string P = "/sm/";
const std::string H = "localhost";
const std::string I = "0123abcd";
const std::string RN = "\r\n";

std::string inner() {
  return "GET " + P + "SMUGGLED-" + I + " HTTP/1.1" + RN + "Host: " + H + RN + RN;
}

std::string mk(const std::vector<std::string>& lines, const std::string& body,
               const std::string& method = "POST", const std::string& version = "HTTP/1.1",
               const std::string& sep = RN, const std::string& path = "") {
  std::string out = method + " " + (path.empty() ? P + "attack-" + I : path) + " " + version + sep;
  for (const auto& l : lines) out += l + sep;
  return out + sep + body;
}

std::string hex(size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%zx", n);
  return buf;
}

std::string cl_te_body() {
  return "0" + RN + RN + inner();
}
std::string te_cl_body() {
  return hex(inner().size()) + RN + inner() + RN + "0" + RN + RN;
}

std::string te_variant(const std::string& te_line) {
  const std::string b = cl_te_body();
  return mk({"Host: " + H, te_line, "Content-Length: " + std::to_string(b.size())}, b);
}
std::string te_variant_tecl(const std::string& te_line) {
  return mk({"Host: " + H, "Content-Length: 4", te_line}, te_cl_body());
}
std::string chunked(const std::string& body) {
  return mk({"Host: " + H, "Transfer-Encoding: chunked"}, body);
}

enum class Stage { Accepted, Head, Body };

struct Verdict {
  Stage stage = Stage::Accepted;
  Errc code = Errc::BadRequestLine;  // Head / Body
  BodyFraming framing;               // Accepted
  std::string body;                  // Accepted: decoded body
  int pipelined = 0;                 // Accepted: further requests parsed from the leftover
};

Verdict ok(BodyFraming f, std::string body = "", int pipelined = 0) {
  return {Stage::Accepted, Errc::BadRequestLine, f, std::move(body), pipelined};
}
Verdict head(Errc e) {
  return {Stage::Head, e, {}, "", 0};
}
Verdict body(Errc e) {
  return {Stage::Body, e, {}, "", 0};
}

struct Case {
  std::string name;
  std::string request;
  Verdict want;
};

std::vector<Case> cases() {
  std::vector<Case> c;
  const auto te = BodyFraming::chunked();
  const auto none = BodyFraming::none();
  // ---- baselines (must work)
  c.push_back({"baseline_get", mk({"Host: " + H}, "", "GET"), ok(none)});
  c.push_back({"baseline_post_cl", mk({"Host: " + H, "Content-Length: 5"}, "hello"),
               ok(BodyFraming::of_length(5), "hello")});
  c.push_back(
      {"baseline_post_chunked", chunked("5" + RN + "hello" + RN + "0" + RN + RN), ok(te, "hello")});
  c.push_back(
      {"baseline_te_case_insensitive",
       mk({"Host: " + H, "Transfer-Encoding: CHUNKED"}, "5" + RN + "hello" + RN + "0" + RN + RN),
       ok(te, "hello")});
  c.push_back({"baseline_pipelined_2",
               mk({"Host: " + H}, "", "GET") +
                   mk({"Host: " + H}, "", "GET", "HTTP/1.1", RN, P + "pipe2-" + I),
               ok(none, "", 1)});
  // ---- classic CL/TE conflicts
  c.push_back(
      {"cl_te", te_variant("Transfer-Encoding: chunked"), head(Errc::ContentLengthWithChunked)});
  c.push_back({"te_cl", te_variant_tecl("Transfer-Encoding: chunked"),
               head(Errc::ContentLengthWithChunked)});
  c.push_back(
      {"cl_cl_differ",
       mk({"Host: " + H, "Content-Length: 0", "Content-Length: " + std::to_string(inner().size())},
          inner()),
       head(Errc::DuplicateContentLength)});
  c.push_back({"cl_list_differ",
               mk({"Host: " + H, "Content-Length: 0, " + std::to_string(inner().size())}, inner()),
               head(Errc::DuplicateContentLength)});
  // no-desync in the script; strict: identical duplicates are refused too.
  c.push_back({"cl_cl_same", mk({"Host: " + H, "Content-Length: 5", "Content-Length: 5"}, "hello"),
               head(Errc::DuplicateContentLength)});
  for (const auto& [nm, v] :
       std::vector<std::pair<std::string, std::string>>{{"plus", "+5"},
                                                        {"hex", "0x5"},
                                                        {"neg", "-5"},
                                                        {"decimal", "5.0"},
                                                        {"empty", ""},
                                                        {"overflow", "18446744073709551621"},
                                                        {"space_inside", "5 5"}}) {
    c.push_back({"cl_bad_" + nm, mk({"Host: " + H, "Content-Length: " + v}, "hello" + inner()),
                 head(Errc::BadContentLength)});
  }
  // no-desync: a GET with a body is forwarded as a body, never as a request.
  c.push_back(
      {"cl_on_get_cl0",
       mk({"Host: " + H, "Content-Length: " + std::to_string(inner().size())}, inner(), "GET"),
       ok(BodyFraming::of_length(inner().size()), inner())});
  // ---- TE.TE obfuscations
  const std::vector<std::tuple<std::string, std::string, Errc>> obfs = {
      {"te_xchunked", "Transfer-Encoding: xchunked", Errc::TransferEncodingNotChunked},
      {"te_space_before_colon", "Transfer-Encoding : chunked", Errc::WhitespaceBeforeColon},
      {"te_tab_before_colon", "Transfer-Encoding\t: chunked", Errc::WhitespaceBeforeColon},
      {"te_tab_value", "Transfer-Encoding:\tchunked", Errc::ContentLengthWithChunked},
      {"te_leading_space_name", " Transfer-Encoding: chunked", Errc::ObsFold},
      {"te_quoted", "Transfer-Encoding: \"chunked\"", Errc::BadTransferEncoding},
      {"te_chunked_then_x", "Transfer-Encoding: chunked\r\nTransfer-Encoding: x",
       Errc::DuplicateTransferEncoding},
      {"te_x_then_chunked", "Transfer-Encoding: x\r\nTransfer-Encoding: chunked",
       Errc::TransferEncodingNotChunked},
      {"te_chunked_identity", "Transfer-Encoding: chunked, identity",
       Errc::TransferEncodingNotChunked},
      {"te_chunked_gzip", "Transfer-Encoding: chunked, gzip", Errc::TransferEncodingNotChunked},
      {"te_obsfold", "Transfer-Encoding:\r\n chunked", Errc::ObsFold},
      {"te_bare_lf_prefix", "X: X\nTransfer-Encoding: chunked", Errc::BareLf},
      {"te_vtab_value",
       "Transfer-Encoding:\x0b"
       "chunked",
       Errc::BadFieldValue},
      {"te_ff_value",
       "Transfer-Encoding:\x0c"
       "chunked",
       Errc::BadFieldValue},
      {"te_nul_end", std::string("Transfer-Encoding: chunked\0", 27), Errc::BadFieldValue},
      {"te_cr_end", "Transfer-Encoding: chunked\rX: X", Errc::BareCr},
      {"te_nbsp_value",
       "Transfer-Encoding:\xa0"
       "chunked",
       Errc::BadTransferEncoding},
      {"te_chunked_comma", "Transfer-Encoding: chunked,", Errc::BadTransferEncoding},
      {"te_comma_chunked", "Transfer-Encoding: ,chunked", Errc::BadTransferEncoding},
  };
  for (const auto& [nm, line, e] : obfs) c.push_back({"clte_" + nm, te_variant(line), head(e)});
  for (const auto& [nm, line, e] : obfs) {
    if (nm == "te_xchunked" || nm == "te_space_before_colon" || nm == "te_obsfold" ||
        nm == "te_bare_lf_prefix" || nm == "te_chunked_then_x") {
      // With Content-Length first, a valid-looking TE still meets the CL.
      c.push_back({"tecl_" + nm, te_variant_tecl(line), head(e)});
    }
  }
  // ---- TE without CL but not final-chunked / unknown
  c.push_back({"te_gzip_only", mk({"Host: " + H, "Transfer-Encoding: gzip"}, inner()),
               head(Errc::TransferEncodingNotChunked)});
  c.push_back({"te_in_http10",
               mk({"Host: " + H, "Transfer-Encoding: chunked"}, cl_te_body(), "POST", "HTTP/1.0"),
               head(Errc::TransferEncodingInHttp10)});
  // ---- chunk framing (HTTP Garden classes)
  c.push_back({"chunk_size_hex_prefix",
               chunked("0x5" + RN + "hello" + RN + "0" + RN + RN + inner()),
               body(Errc::BadChunkSize)});
  c.push_back({"chunk_size_plus", chunked("+5" + RN + "hello" + RN + "0" + RN + RN + inner()),
               body(Errc::BadChunkSize)});
  c.push_back({"chunk_size_overflow",
               chunked("10000000000000005" + RN + "hello" + RN + "0" + RN + RN + inner()),
               body(Errc::ChunkTooLarge)});
  c.push_back({"chunk_size_leading_space",
               chunked(" 5" + RN + "hello" + RN + "0" + RN + RN + inner()),
               body(Errc::BadChunkSize)});
  c.push_back({"chunk_data_too_long", chunked("3" + RN + "helloXX" + RN + "0" + RN + RN + inner()),
               body(Errc::BadChunkData)});
  // no-desync: strict, LF alone never ends a chunk line.
  c.push_back({"chunk_bare_lf_size", chunked("5\nhello" + RN + "0" + RN + RN), body(Errc::BareLf)});
  c.push_back({"chunk_ext_bare_lf",
               chunked("5;a=b\nc" + RN + "hello" + RN + "0" + RN + RN + inner()),
               body(Errc::BareLf)});
  c.push_back(
      {"chunk_ext_quoted_crlf",
       chunked("5;a=\"x" + RN + "0" + RN + RN + "\"" + RN + "hello" + RN + "0" + RN + RN + inner()),
       body(Errc::BadChunkExtension)});
  // no-desync: the "trailer" is a request line, which is not a field line.
  c.push_back({"chunk_last_no_final_crlf_pipeline",
               chunked("5" + RN + "hello" + RN + "0" + RN + inner()), body(Errc::BadTrailer)});
  // no-desync: trailers are parsed, bounded and discarded; never framing.
  c.push_back({"chunk_trailer_cl",
               chunked("5" + RN + "hello" + RN + "0" + RN + "Content-Length: 99" + RN + RN),
               ok(te, "hello")});
  // ---- header syntax (RFC 9112 §5, §2.2)
  c.push_back({"cl_space_before_colon",
               mk({"Host: " + H, "Content-Length : " + std::to_string(inner().size())}, inner()),
               head(Errc::WhitespaceBeforeColon)});
  c.push_back(
      {"obsfold_plain_header", mk({"Host: " + H, "X-A: a", " b"}, "", "GET"), head(Errc::ObsFold)});
  // no-desync: strict, bare LF is refused.
  c.push_back(
      {"bare_lf_request", mk({"Host: " + H}, "", "GET", "HTTP/1.1", "\n"), head(Errc::BareLf)});
  c.push_back({"bare_cr_in_value", mk({"Host: " + H, "X-A: a\rb"}, "", "GET"), head(Errc::BareCr)});
  c.push_back({"nul_in_value", mk({"Host: " + H, std::string("X-A: a\0b", 8)}, "", "GET"),
               head(Errc::BadFieldValue)});
  c.push_back({"space_in_header_name", mk({"Host: " + H, "X A: b"}, "", "GET"),
               head(Errc::WhitespaceBeforeColon)});
  c.push_back({"no_host", mk({}, "", "GET"), head(Errc::MissingHost)});
  c.push_back(
      {"dup_host", mk({"Host: " + H, "Host: evil.example"}, "", "GET"), head(Errc::DuplicateHost)});
  // no-desync: an absolute target naming another host is refused, never routed.
  c.push_back(
      {"absolute_form_other_host",
       mk({"Host: " + H}, "", "GET", "HTTP/1.1", RN, "http://evil.example" + P + "abs-" + I),
       head(Errc::HostMismatch)});
  // no-desync: Transfer_Encoding is an ordinary field; Content-Length frames the body.
  c.push_back({"te_underscore_name", te_variant("Transfer_Encoding: chunked"),
               ok(BodyFraming::of_length(cl_te_body().size()), cl_te_body())});
  // no-desync: strict, exactly one SP.
  c.push_back({"request_line_double_space",
               "GET  " + P + "x-" + I + " HTTP/1.1" + RN + "Host: " + H + RN + RN,
               head(Errc::BadRequestLine)});
  c.push_back({"version_http10_lower",
               "GET " + P + "x-" + I + " http/1.1" + RN + "Host: " + H + RN + RN,
               head(Errc::BadVersion)});
  // no-desync: strict, Connection may not name a framing field.
  c.push_back({"connection_drops_cl",
               mk({"Host: " + H, "Connection: Content-Length",
                   "Content-Length: " + std::to_string(inner().size())},
                  inner()),
               head(Errc::ConnectionNamesFraming)});
  // no-desync: the head is fine; field_rules strips Upgrade/HTTP2-Settings (see its test).
  c.push_back({"h2c_upgrade",
               mk({"Host: " + H, "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA",
                   "Connection: Upgrade, HTTP2-Settings"},
                  "", "GET"),
               ok(none)});
  c.push_back({"huge_header_431",
               mk({"Host: " + H, "X-Big: " + std::string(70000, 'a')}, "", "GET"),
               head(Errc::HeadTooLarge)});
  return c;
}

// Runs the request through the codec the way the glue does. Head and body are each checked
// for split invariance by the helpers.
Verdict run(const std::string& request) {
  const auto h = test::parse_request(request);
  if (h.kind == test::HeadOutcome<http::RequestHead>::Error) return head(h.code);
  REQUIRE(h.kind == test::HeadOutcome<http::RequestHead>::Parsed);
  const BodyFraming framing = request_framing(h.head);
  const std::string rest = request.substr(h.length);
  const auto b = test::decode_body(framing, rest);
  if (b.failed) return body(b.code);
  REQUIRE(b.done);
  Verdict v = ok(framing, b.data);
  std::string left = rest.substr(b.length);
  while (!left.empty()) {
    const auto next = test::parse_request(left);
    REQUIRE(next.kind == test::HeadOutcome<http::RequestHead>::Parsed);
    CHECK(next.head.path.find("SMUGGLED") == std::string::npos);
    ++v.pipelined;
    left = left.substr(next.length);
  }
  return v;
}

}  // namespace

TEST_CASE("http1: smuggle_test.py HTTP/1.1 cases get the strict verdict", "[http1][smuggle]") {
  const Case c = GENERATE(from_range(cases()));
  INFO("case " << c.name);
  const Verdict got = run(c.request);
  switch (c.want.stage) {
    case Stage::Accepted:
      REQUIRE(got.stage == Stage::Accepted);
      CHECK(got.framing == c.want.framing);
      CHECK(got.body == c.want.body);
      CHECK(got.pipelined == c.want.pipelined);
      break;
    case Stage::Head:
    case Stage::Body:
      CHECK(got.stage == c.want.stage);
      CHECK(name(got.code) == name(c.want.code));
      CHECK(refusal(got.code).status >= 400);
      break;
  }
}

TEST_CASE("http1: the smuggle table has all 69 cases, once each", "[http1][smuggle]") {
  CHECK(cases().size() == 69);
  std::set<std::string> names;
  for (const auto& c : cases()) CHECK(names.insert(c.name).second);
}
