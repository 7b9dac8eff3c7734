// Traffic selectors (RFC 7296 §2.9, §3.13.1), addresses, subnets and identities.
#include "ipsec/traffic_selector.h"

#include <catch2/catch.hpp>

#include "ike_test_support.h"
#include "ipsec/config.h"

namespace intransit::ipsec {
namespace {

using test::ts;

TEST_CASE("ipsec: subnets and addresses parse and print", "[ipsec][ts]") {
  CHECK(Subnet::parse("10.231.1.7/24")->to_string() == "10.231.1.0/24");
  CHECK(Subnet::parse("10.231.1.7")->to_string() == "10.231.1.7/32");
  CHECK(Subnet::parse("2001:db8::1/64")->to_string() == "2001:db8::/64");
  CHECK(Subnet::parse("0.0.0.0/0")->last().to_string() == "255.255.255.255");
  CHECK_FALSE(Subnet::parse("10.0.0.0/33"));
  CHECK_FALSE(Subnet::parse("10.0.0/8"));
  CHECK_FALSE(IpAddress::parse("gw.example"));
  CHECK(Endpoint{*IpAddress::parse("2001:db8::1"), 4500}.to_string() == "[2001:db8::1]:4500");
  CHECK(IpAddress{}.to_string() == "%any");
}

TEST_CASE("ipsec: selectors intersect and narrow (§2.9)", "[ipsec][ts]") {
  CHECK(ts("10.231.1.0/24").to_string() == "10.231.1.0/24");
  CHECK(intersect(ts("10.0.0.0/8"), ts("10.231.1.0/24")) == ts("10.231.1.0/24"));
  CHECK_FALSE(intersect(ts("10.0.0.0/8"), ts("192.168.0.0/16")));
  CHECK_FALSE(intersect(ts("10.0.0.0/8"), ts("2001:db8::/32")));
  TrafficSelector web = ts("10.0.0.0/8");
  web.ip_protocol = 6;
  web.start_port = web.end_port = 443;
  CHECK(web.to_string() == "10.0.0.0/8[6/443]");
  auto r = intersect(web, ts("10.1.0.0/16"));
  REQUIRE(r);
  CHECK(r->ip_protocol == 6);
  CHECK(r->start_port == 443);
  TrafficSelector udp = ts("10.0.0.0/8");
  udp.ip_protocol = 17;
  CHECK_FALSE(intersect(web, udp));
  TrafficSelector range;
  range.start = *IpAddress::parse("10.0.0.5");
  range.end = *IpAddress::parse("10.0.0.9");
  CHECK(range.to_string() == "10.0.0.5..10.0.0.9");
  CHECK(range.contains_address(*IpAddress::parse("10.0.0.7")));
  CHECK_FALSE(range.contains_address(*IpAddress::parse("10.0.0.10")));

  // strongSwan sends the triggering host first, then the whole subnet.
  const std::vector<TrafficSelector> proposed = {ts("10.231.1.5/32"), ts("10.231.0.0/16")};
  CHECK(narrow(proposed, {ts("10.231.1.0/24")}) ==
        std::vector<TrafficSelector>{ts("10.231.1.5/32"), ts("10.231.1.0/24")});
  CHECK(narrow(proposed, {ts("192.168.0.0/16")}).empty());
  CHECK(covered_by({ts("10.231.1.0/25")}, {ts("10.231.1.0/24")}));
  CHECK_FALSE(covered_by({ts("10.231.0.0/16")}, {ts("10.231.1.0/24")}));
  CHECK(covered_by({}, {ts("10.231.1.0/24")}));
}

TEST_CASE("ipsec: identities parse like strongSwan's", "[ipsec][config]") {
  using ike::IdType;
  auto id = [](std::string_view s) { return *Identity::parse(s); };
  CHECK(id("10.231.0.1").type == IdType::Ipv4Addr);
  CHECK(id("10.231.0.1").data == Bytes({10, 231, 0, 1}));
  CHECK(id("10.231.0.1").to_string() == "10.231.0.1");
  CHECK(id("2001:db8::1").type == IdType::Ipv6Addr);
  CHECK(id("gwa.ikx.test").type == IdType::Fqdn);
  CHECK(id("@gwa.ikx.test") == id("gwa.ikx.test"));
  CHECK(id("ops@ikx.test").type == IdType::Rfc822Addr);
  CHECK(id("keyid:0a0b").type == IdType::KeyId);
  CHECK(id("keyid:0a0b").to_string() == "keyid:0a0b");
  CHECK(id("asn1dn:3000").type == IdType::DerAsn1Dn);
  CHECK_FALSE(Identity::parse(""));
  CHECK_FALSE(Identity::parse("@"));
  CHECK_FALSE(Identity::parse("keyid:zz"));
  CHECK_FALSE(Identity::parse("has space"));
}

TEST_CASE("ipsec: PEM credentials load", "[ipsec][config]") {
  const auto& p = test::pki();
  bssl::UniquePtr<BIO> b(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(b.get(), p.cert_a.get());
  PEM_write_bio_X509(b.get(), p.ca.get());
  PEM_write_bio_PrivateKey(b.get(), p.key_a, nullptr, nullptr, 0, nullptr, nullptr);
  const uint8_t* data = nullptr;
  size_t len = 0;
  BIO_mem_contents(b.get(), &data, &len);
  const std::string pem(reinterpret_cast<const char*>(data), len);
  auto certs = parse_pem_certificates(pem);
  REQUIRE(certs);
  CHECK(certs->size() == 2);
  auto key = parse_pem_private_key(pem);
  REQUIRE(key);
  CHECK(EVP_PKEY_cmp(key->get(), p.key_a) == 1);
  CHECK_FALSE(parse_pem_certificates("nothing here"));
  CHECK_FALSE(parse_pem_private_key("nothing here"));
}

}  // namespace
}  // namespace intransit::ipsec
