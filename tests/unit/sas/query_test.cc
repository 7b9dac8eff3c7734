#include "policy/sas/query.h"

#include <catch2/catch.hpp>

using namespace intransit::policy::sas;

TEST_CASE("sas: the query is form-decoded once, as Azure decodes it", "[sas][query]") {
  CHECK(form_decode("a+b") == "a b");
  CHECK(form_decode("2026-06-15T11%3A00%3A00Z") == "2026-06-15T11:00:00Z");
  CHECK(form_decode("%3a%3A") == "::");  // hex digits of either case
  CHECK(form_decode("%2D") == "-");      // unnecessary escapes decode normally
  CHECK(form_decode("%253A") == "%3A");  // once, never twice
  CHECK(form_decode("%2B") == "+");
  CHECK(form_decode("100%") == "100%");  // a bad escape stays literal (.NET)
  CHECK(form_decode("%zz%4") == "%zz%4");
  CHECK(form_decode("") == "");
}

TEST_CASE("sas: parse_query keeps order, repeats and bare names", "[sas][query]") {
  const auto q = parse_query("sv=2021-08-06&&sp=r&flag&sp=w&a=b=c&=x");
  REQUIRE(q.size() == 6);
  CHECK(q[0].name == "sv");
  CHECK(q[0].value == "2021-08-06");
  CHECK(q[1].name == "sp");
  CHECK(q[2].name == "flag");
  CHECK_FALSE(q[2].has_equals);
  CHECK(q[3].value == "w");
  CHECK(q[4].value == "b=c");
  CHECK(q[5].name.empty());
  CHECK(parse_query("").empty());
  CHECK(parse_query("&&&").empty());
}

TEST_CASE("sas: the path is percent-decoded once, '+' stays '+'", "[sas][query]") {
  CHECK(percent_decode_path("/a+b") == "/a+b");
  CHECK(percent_decode_path("/my%20file.txt") == "/my file.txt");
  CHECK(percent_decode_path("/a%2Fb") == "/a/b");
  CHECK(percent_decode_path("/r%C3%A9sum%C3%A9") == "/r\xC3\xA9sum\xC3\xA9");
  CHECK_FALSE(percent_decode_path("/a%zz"));
  CHECK_FALSE(percent_decode_path("/a%2"));
  CHECK_FALSE(percent_decode_path("/a%00b"));   // NUL
  CHECK_FALSE(percent_decode_path("/a%0Ab"));   // LF
  CHECK_FALSE(percent_decode_path("/a%FFb"));   // not UTF-8
  CHECK_FALSE(percent_decode_path("/%C0%AF"));  // overlong '/'
}

TEST_CASE("sas: encode_component matches encodeURIComponent", "[sas][query]") {
  CHECK(encode_component("2026-06-15T11:00:00Z") == "2026-06-15T11%3A00%3A00Z");
  CHECK(encode_component("a+b/c=d,e") == "a%2Bb%2Fc%3Dd%2Ce");
  CHECK(encode_component("-_.!~*'()") == "-_.!~*'()");
  CHECK(encode_component("a b") == "a%20b");
  CHECK(encode_component("\xC3\xA9") == "%C3%A9");
}

TEST_CASE("sas: is_valid_utf8", "[sas][query]") {
  CHECK(is_valid_utf8("plain"));
  CHECK(is_valid_utf8("\xE6\x97\xA5\xE6\x9C\xAC"));
  CHECK(is_valid_utf8("\xF0\x9F\x98\x80"));
  CHECK_FALSE(is_valid_utf8("\xC3"));
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  CHECK_FALSE(is_valid_utf8("\x80"));
}
