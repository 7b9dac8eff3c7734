// Two ike::Managers in memory (STYLE.md R12): IKE_SA_INIT, IKE_AUTH, CHILD and IKE rekeys,
// deletes, lost and duplicated messages, COOKIE and INVALID_KE_PAYLOAD, fragmentation,
// PSK and certificates, collisions, DPD and timeouts, with a fake clock and fixed RNGs.
#include "ipsec/ike/sa.h"

#include <catch2/catch.hpp>

#include "ike_test_support.h"
#include "ipsec/ike/protect.h"

namespace intransit::ipsec {
namespace {

using ike::AuthFailure;
using ike::DropReason;
using ike::ExchangeResult;
using ike::ExchangeType;
using ike::SaState;
using std::chrono::seconds;
using test::Fate;
using test::InFlight;
using test::Pair;

constexpr uint8_t kInit = 34, kAuth = 35, kCreate = 36, kInfo = 37;

std::shared_ptr<TunnelConfig> with(std::shared_ptr<TunnelConfig> c,
                                   const std::function<void(TunnelConfig&)>& f) {
  f(*c);
  return c;
}

// long_lived gives B strongSwan's default lifetimes, so only A rekeys (as in the test bed).
void long_lived(TunnelConfig& c) {
  c.ike_rekey_time = std::chrono::hours(4);
  c.child_rekey_time = std::chrono::hours(1);
}

uint64_t ok(const test::Node& n, ExchangeType t) {
  return n.mgr->counters().exchanges[ike::exchange_index(t)][0];
}

const ike::Sa* only_sa(const test::Node& n) {
  auto e = n.established();
  return e.size() == 1 ? e.front() : nullptr;
}

TEST_CASE("ipsec: PSK tunnel comes up with IKE_SA_INIT and IKE_AUTH", "[ipsec][sa]") {
  Pair p(test::psk_tunnel('a'), test::psk_tunnel('b'));
  REQUIRE(p.connect());
  CHECK(p.delivered.size() == 4);
  CHECK(
      p.a.trace_has("> IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) "
                    "N(FRAG_SUP) N(HASH_ALG) ]"));
  CHECK(
      p.b.trace_has("> IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) "
                    "N(FRAG_SUP) N(HASH_ALG) ]"));
  CHECK(p.a.trace_has("> IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr ]"));
  CHECK(p.b.trace_has("> IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]"));
  REQUIRE(p.a.sink.live.size() == 1);
  CHECK(test::paired(p.a.sink, p.b.sink));
  const ChildSaParams& c = p.a.sink.live.begin()->second;
  CHECK(c.encr == Cipher{EncrAlg::AesGcm16, 256});
  CHECK(c.encr_key_in.size() == 36);
  CHECK(c.udp_encap);  // force_encap: ESP in UDP/4500 like strongSwan's encap = yes
  CHECK(c.local.port == 4500);
  CHECK(c.remote.port == 4500);
  CHECK(c.local_ts == std::vector<TrafficSelector>{test::ts("10.231.1.0/24")});
  CHECK(c.remote_ts == std::vector<TrafficSelector>{test::ts("10.231.2.0/24")});
  // IKE_AUTH floated to the NAT-T port (§2.23).
  CHECK(p.delivered[2].packet.remote.port == 4500);
  const auto st = p.a.mgr->status();
  REQUIRE(st.ike_sas.size() == 1);
  CHECK(st.ike_sas[0].state == SaState::Established);
  CHECK(st.ike_sas[0].suite == "aes256gcm16/prfsha384/ecp384");
  CHECK(st.ike_sas[0].peer_id == "10.231.0.2");
  CHECK(st.ike_sas[0].children.size() == 1);
  CHECK(st.ike_sas_by_state[static_cast<size_t>(SaState::Established)] == 1);
  CHECK(ok(p.a, ExchangeType::IkeSaInit) == 1);
  CHECK(ok(p.b, ExchangeType::IkeAuth) == 1);
  CHECK(p.a.mgr->counters().ike_sas_established == 1);
}

TEST_CASE("ipsec: every negotiable suite comes up and rekeys its CHILD SA with PFS",
          "[ipsec][sa][suites]") {
  auto [ike, esp] = GENERATE(table<std::string, std::string>({
      {"aes256gcm16-prfsha384-ecp384", "aes256gcm16-ecp384"},
      {"aes128gcm16-prfsha256-ecp256", "aes128gcm16-ecp256"},
      {"chacha20poly1305-prfsha512-x25519", "chacha20poly1305-x25519"},
      {"aes256-sha256-prfsha256-modp2048", "aes256-sha256-modp2048"},
      {"aes128-sha256-prfsha256-x25519", "aes128-sha256-noesn-esn"},
  }));
  INFO(ike << " / " << esp);
  auto set = [&](TunnelConfig& c) {
    c.ike_proposals = {*parse_ike_proposal(ike)};
    c.esp_proposals = {*parse_esp_proposal(esp)};
  };
  Pair p(with(test::psk_tunnel('a'), set), with(test::psk_tunnel('b'), [&](TunnelConfig& c) {
           set(c);
           long_lived(c);
         }));
  REQUIRE(p.connect());
  CHECK(test::paired(p.a.sink, p.b.sink));
  const uint32_t first = p.a.sink.live.begin()->first;
  p.advance(seconds(31));
  REQUIRE(p.a.sink.live.size() == 1);
  CHECK(p.a.sink.live.begin()->first != first);
  CHECK(test::paired(p.a.sink, p.b.sink));
}

TEST_CASE("ipsec: ECDSA P-384 certificates with RFC 7427 signatures", "[ipsec][sa][cert]") {
  Pair p(test::cert_tunnel('a'), test::cert_tunnel('b'));
  REQUIRE(p.connect());
  CHECK(
      p.b.trace_has("> IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) CERTREQ "
                    "N(FRAG_SUP) N(HASH_ALG) ]"));
  CHECK(
      p.a.trace_has("> IKE_AUTH request 1 [ IDi CERT N(INIT_CONTACT) CERTREQ IDr AUTH SA TSi "
                    "TSr ]"));
  CHECK(p.b.trace_has("> IKE_AUTH response 1 [ IDr CERT AUTH SA TSi TSr ]"));
  CHECK(test::paired(p.a.sink, p.b.sink));
  CHECK(p.a.mgr->status().ike_sas[0].peer_id == "gwb.ikx.test");
}

TEST_CASE("ipsec: certificate key types and signature methods", "[ipsec][sa][cert]") {
  auto [kind, rfc7427, pss] = GENERATE(table<test::KeyKind, bool, bool>({
      {test::KeyKind::P256, true, false},
      {test::KeyKind::P256, false, false},  // RFC 4754 method 9
      {test::KeyKind::P384, false, false},  // method 10
      {test::KeyKind::P521, true, false},
      {test::KeyKind::Rsa2048, true, false},
      {test::KeyKind::Rsa2048, true, true},    // RSASSA-PSS in method 14
      {test::KeyKind::Rsa2048, false, false},  // method 1
  }));
  auto set = [&](TunnelConfig& c) {
    c.signature_auth = rfc7427;
    c.rsa_pss = pss;
  };
  Pair p(with(test::cert_tunnel('a', kind), set), with(test::cert_tunnel('b', kind), set));
  REQUIRE(p.connect());
  CHECK(test::paired(p.a.sink, p.b.sink));
}

TEST_CASE("ipsec: authentication failures", "[ipsec][sa][auth]") {
  SECTION("wrong PSK: the responder refuses, both sides drop the SA") {
    auto b =
        with(test::psk_tunnel('b'), [](TunnelConfig& c) { c.psk = SecretBytes(Bytes(32, 0x11)); });
    Pair p(test::psk_tunnel('a'), b);
    CHECK_FALSE(p.connect());
    CHECK(p.b.trace_has("> IKE_AUTH response 1 [ N(AUTH_FAILED) ]"));
    CHECK(p.b.mgr->counters().auth_failures[static_cast<size_t>(AuthFailure::BadPsk)] == 1);
    CHECK(p.a.mgr->counters().auth_failures[static_cast<size_t>(AuthFailure::PeerRejected)] == 1);
    CHECK(p.a.mgr->sas().empty());
    CHECK(p.b.mgr->sas().empty());
    CHECK(p.a.sink.installs == 0);
    CHECK(p.b.sink.installs == 0);
  }
  SECTION("unknown initiator identity") {
    auto a = with(test::psk_tunnel('a'),
                  [](TunnelConfig& c) { c.local_id = *Identity::parse("10.231.0.9"); });
    Pair p(a, test::psk_tunnel('b'));
    CHECK_FALSE(p.connect());
    CHECK(p.b.mgr->counters().auth_failures[static_cast<size_t>(AuthFailure::NoMatchingTunnel)] ==
          1);
  }
  SECTION("the responder's identity is not the one we expect: the initiator refuses") {
    auto a = with(test::cert_tunnel('a'),
                  [](TunnelConfig& c) { c.remote_id = *Identity::parse("gwc.ikx.test"); });
    Pair p(a, test::cert_tunnel('b'));
    CHECK_FALSE(p.connect());
    CHECK(p.a.mgr->counters().auth_failures[static_cast<size_t>(AuthFailure::IdMismatch)] == 1);
    // §2.21.2: A tells B in an INFORMATIONAL; B drops the SA and its CHILD SA.
    CHECK(p.a.trace_has("> INFORMATIONAL request 2 [ N(AUTH_FAILED) ]"));
    CHECK(p.b.mgr->sas().empty());
    CHECK(p.b.sink.live.empty());
  }
  SECTION("certificate from an untrusted CA") {
    auto a = with(test::cert_tunnel('a'), [](TunnelConfig& c) {
      const auto& other = test::pki(test::KeyKind::P256);
      c.private_key = test::up_ref(other.key_a);
      c.certificates.clear();
      auto rogue_ca = test::make_cert(test::key(test::KeyKind::P256, 30),
                                      test::CertSpec{"rogue", {}, {}, true});
      c.certificates.push_back(test::make_cert(other.key_a,
                                               test::CertSpec{"gwa.ikx.test", {"gwa.ikx.test"}, {}},
                                               test::key(test::KeyKind::P256, 30), rogue_ca.get()));
    });
    Pair p(a, test::cert_tunnel('b'));
    CHECK_FALSE(p.connect());
    CHECK(p.b.mgr->counters().auth_failures[static_cast<size_t>(AuthFailure::BadCertificate)] == 1);
  }
  SECTION("certificate that does not name the identity") {
    auto a = with(test::cert_tunnel('a'), [](TunnelConfig& c) {
      c.local_id = *Identity::parse("gwb.ikx.test");  // A's cert only names gwa
    });
    auto b = with(test::cert_tunnel('b'), [](TunnelConfig& c) {
      c.remote_id = *Identity::parse("gwb.ikx.test");
      c.local_id = *Identity::parse("gwb.ikx.test");
    });
    Pair p(a, b);
    CHECK_FALSE(p.connect());
    CHECK(p.b.mgr->counters().auth_failures[static_cast<size_t>(AuthFailure::BadCertificate)] == 1);
  }
  SECTION("PSK peer against a certificate tunnel: method mismatch") {
    auto a = with(test::psk_tunnel('a'), [](TunnelConfig& c) {
      c.local_id = *Identity::parse("gwa.ikx.test");
      c.remote_id = *Identity::parse("gwb.ikx.test");
    });
    Pair p(a, test::cert_tunnel('b'));
    CHECK_FALSE(p.connect());
    CHECK(p.b.mgr->counters().auth_failures[static_cast<size_t>(AuthFailure::MethodMismatch)] == 1);
  }
}

TEST_CASE("ipsec: lost and duplicated messages", "[ipsec][sa][retransmit]") {
  Pair p(test::psk_tunnel('a'), test::psk_tunnel('b'));
  SECTION("the first IKE_SA_INIT request is lost: retransmitted after 4 s") {
    int seen = 0;
    p.filter = [&](const InFlight& f) {
      return f.exchange == kInit && !f.response && seen++ == 0 ? Fate::Drop : Fate::Deliver;
    };
    REQUIRE(p.a.mgr->initiate("s2s-psk", p.now));
    p.pump();
    CHECK(p.a.established().empty());
    p.advance(seconds(3));
    CHECK(p.a.established().empty());
    p.advance(seconds(2));
    CHECK(p.a.established().size() == 1);
    CHECK(p.a.mgr->counters().retransmits == 1);
  }
  SECTION("the IKE_AUTH response is lost: the cached response is sent again") {
    int seen = 0;
    p.filter = [&](const InFlight& f) {
      return f.exchange == kAuth && f.response && seen++ == 0 ? Fate::Drop : Fate::Deliver;
    };
    REQUIRE(p.a.mgr->initiate("s2s-psk", p.now));
    p.pump();
    CHECK(p.b.established().size() == 1);
    CHECK(p.a.established().empty());
    p.advance(seconds(5));
    CHECK(p.a.established().size() == 1);
    CHECK(p.b.mgr->counters().responses_resent == 1);
    CHECK(p.b.sink.installs == 1);  // the retransmission did not create a second CHILD SA
    CHECK(test::paired(p.a.sink, p.b.sink));
  }
  SECTION("every datagram arrives twice") {
    p.filter = [](const InFlight&) { return Fate::Duplicate; };
    REQUIRE(p.connect());
    CHECK(p.a.sink.installs == 1);
    CHECK(p.b.sink.installs == 1);
    CHECK(p.b.mgr->counters().responses_resent >= 1);
    CHECK(p.a.mgr->counters().dropped[static_cast<size_t>(DropReason::MessageId)] >= 1);
    p.advance(seconds(31));  // CHILD rekey and Delete, all duplicated
    CHECK(test::paired(p.a.sink, p.b.sink));
    CHECK(p.a.sink.live.size() == 1);
  }
  SECTION("the peer is gone: the SA is given up after the retransmissions") {
    REQUIRE(p.connect());
    p.filter = [](const InFlight& f) { return f.from_a ? Fate::Drop : Fate::Deliver; };
    p.a.mgr->rekey_child(p.a.sink.live.begin()->first, p.now);
    p.advance(seconds(100));
    CHECK(p.a.established().size() == 1);  // 4 + 7.2 + 13 + 23.3 + 42 + 75.6 s = 165 s
    p.advance(seconds(70));
    CHECK(p.a.mgr->sas().empty());
    CHECK(p.a.sink.live.empty());
    CHECK(p.a.mgr->counters().retransmits == 5);
    CHECK(p.a.mgr->counters().exchanges[ike::exchange_index(ExchangeType::CreateChildSa)]
                                       [static_cast<size_t>(ExchangeResult::Timeout)] == 1);
  }
}

TEST_CASE("ipsec: COOKIE under load (RFC 7296 §2.6)", "[ipsec][sa][cookie]") {
  ike::ManagerOptions ob;
  ob.cookie_threshold = 0;  // always demand one
  Pair p(test::psk_tunnel('a'), test::psk_tunnel('b'), {}, ob);
  REQUIRE(p.connect());
  CHECK(p.b.trace_has("> IKE_SA_INIT response 0 [ N(COOKIE) ]"));
  CHECK(p.a.trace_has("> IKE_SA_INIT request 0 [ N(COOKIE) SA KE No"));
  CHECK(p.b.mgr->counters().cookies_sent == 1);
  CHECK(test::paired(p.a.sink, p.b.sink));

  SECTION("a forged cookie is answered with a fresh one, no state is kept") {
    test::Node c("C", {});
    auto a2 = test::psk_tunnel('a');
    REQUIRE(c.mgr->add_tunnel(a2));
    // Rewrite the cookie of C's retried request.
    REQUIRE(c.mgr->initiate("s2s-psk", p.now));
    auto first = c.mgr->take_packets();
    p.b.mgr->on_datagram(first[0].data, first[0].local, first[0].remote, p.now);
    auto challenge = p.b.mgr->take_packets();
    REQUIRE(challenge.size() == 1);
    c.mgr->on_datagram(challenge[0].data, challenge[0].remote, challenge[0].local, p.now);
    auto retry = c.mgr->take_packets();
    REQUIRE(retry.size() == 1);
    retry[0].data[40] ^= 0xff;  // inside the cookie value
    const size_t sas = p.b.mgr->sas().size();
    p.b.mgr->on_datagram(retry[0].data, retry[0].local, retry[0].remote, p.now);
    auto again = p.b.mgr->take_packets();
    REQUIRE(again.size() == 1);
    CHECK(ike::decode(again[0].data)->payloads.size() == 1);  // only N(COOKIE)
    CHECK(p.b.mgr->sas().size() == sas);
    CHECK(p.b.mgr->counters().dropped[static_cast<size_t>(DropReason::InvalidCookie)] == 1);
  }
}

TEST_CASE("ipsec: INVALID_KE_PAYLOAD: the initiator retries with the wanted group",
          "[ipsec][sa][invalid_ke]") {
  // A's first proposal and KE are ECP-384; B only takes x25519 (the test bed's e3).
  auto b = with(test::psk_tunnel('b'), [](TunnelConfig& c) {
    c.ike_proposals = {*parse_ike_proposal("aes256gcm16-prfsha256-x25519")};
  });
  Pair p(test::psk_tunnel('a'), b);
  REQUIRE(p.connect());
  CHECK(p.b.trace_has("> IKE_SA_INIT response 0 [ N(INVAL_KE) ]"));
  CHECK(p.b.mgr->counters().invalid_ke_sent == 1);
  CHECK(p.a.mgr->status().ike_sas[0].suite == "aes256gcm16/prfsha256/x25519");
  CHECK(test::paired(p.a.sink, p.b.sink));

  SECTION("and in a CHILD SA rekey with PFS") {
    // B's PFS group differs from A's first: the rekey needs an INVALID_KE round trip.
    auto a2 = test::psk_tunnel('a');
    auto b2 = with(test::psk_tunnel('b'), [](TunnelConfig& c) {
      c.esp_proposals = {*parse_esp_proposal("aes256gcm16-x25519")};
      long_lived(c);
    });
    Pair q(a2, b2);
    REQUIRE(q.connect());
    q.advance(seconds(31));
    CHECK(q.b.trace_has("> CREATE_CHILD_SA response 2 [ N(INVAL_KE) ]"));
    CHECK(q.a.trace_has("> CREATE_CHILD_SA request 3 [ N(REKEY_SA) SA No KE TSi TSr ]"));
    REQUIRE(q.a.sink.live.size() == 1);
    CHECK(test::paired(q.a.sink, q.b.sink));
  }
}

TEST_CASE("ipsec: NO_PROPOSAL_CHOSEN in IKE_SA_INIT", "[ipsec][sa]") {
  auto b = with(test::psk_tunnel('b'), [](TunnelConfig& c) {
    c.ike_proposals = {*parse_ike_proposal("aes128-sha256-modp2048")};
  });
  Pair p(test::psk_tunnel('a'), b);
  CHECK_FALSE(p.connect());
  CHECK(p.b.trace_has("> IKE_SA_INIT response 0 [ N(NO_PROP) ]"));
  CHECK(p.a.mgr->sas().empty());
  CHECK(p.b.mgr->sas().empty());
}

TEST_CASE("ipsec: fragmentation of IKE_AUTH (RFC 7383)", "[ipsec][sa][fragments]") {
  auto small = [](TunnelConfig& c) { c.fragment_size = 576; };
  auto kind = GENERATE(test::KeyKind::P384, test::KeyKind::Rsa2048);
  Pair p(with(test::cert_tunnel('a', kind), small), with(test::cert_tunnel('b', kind), small));
  REQUIRE(p.connect());
  CHECK(p.a.mgr->counters().fragments_sent >= 2);
  CHECK(p.b.mgr->counters().fragments_sent >= 2);
  CHECK(p.b.mgr->counters().fragments_received >= 2);
  CHECK(p.a.trace_has("fragments)"));
  for (const auto& f : p.delivered) CHECK(f.packet.data.size() <= 576 - 20 - 8 - 4);
  CHECK(test::paired(p.a.sink, p.b.sink));

  SECTION("a lost fragment: the whole request is retransmitted, the response once") {
    Pair q(with(test::cert_tunnel('a', kind), small), with(test::cert_tunnel('b', kind), small));
    int seen = 0;
    q.filter = [&](const InFlight& f) {
      return f.fragment && !f.response && seen++ == 1 ? Fate::Drop : Fate::Deliver;
    };
    REQUIRE(q.a.mgr->initiate("s2s-cert", q.now));
    q.pump();
    CHECK(q.a.established().empty());
    q.advance(seconds(5));
    CHECK(q.a.established().size() == 1);
    CHECK(test::paired(q.a.sink, q.b.sink));
  }
  SECTION("without fragmentation on one side the message goes whole") {
    Pair q(with(test::cert_tunnel('a', kind), small),
           with(test::cert_tunnel('b', kind), [](TunnelConfig& c) { c.fragmentation = false; }));
    REQUIRE(q.connect());
    CHECK(q.a.mgr->counters().fragments_sent == 0);
  }
}

TEST_CASE("ipsec: CHILD SA rekey, initiated by either side", "[ipsec][sa][rekey]") {
  const bool by_b = GENERATE(false, true);
  auto a = with(test::psk_tunnel('a'), [&](TunnelConfig& c) {
    if (by_b) long_lived(c);
  });
  auto b = with(test::psk_tunnel('b'), [&](TunnelConfig& c) {
    if (!by_b) long_lived(c);
  });
  Pair p(a, b);
  REQUIRE(p.connect());
  const auto first_a = p.a.sink.live.begin()->second.spi_in;
  p.advance(seconds(29));
  CHECK(p.a.sink.live.begin()->first == first_a);
  p.advance(seconds(2));
  const test::Node& init = by_b ? p.b : p.a;
  const test::Node& resp = by_b ? p.a : p.b;
  CHECK(init.trace_has(by_b ? "> CREATE_CHILD_SA request 0 [ N(REKEY_SA) SA No KE TSi TSr ]"
                            : "> CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No KE TSi TSr ]"));
  CHECK(resp.trace_has("> CREATE_CHILD_SA response"));
  CHECK(init.trace_has("> INFORMATIONAL request"));
  CHECK(init.trace_has("[ D ]"));
  REQUIRE(p.a.sink.live.size() == 1);
  CHECK(p.a.sink.live.begin()->first != first_a);
  CHECK(p.a.sink.live.begin()->second.rekeyed_from == first_a);
  CHECK(p.a.sink.installs == 2);
  CHECK(p.a.sink.removes == 1);
  CHECK(test::paired(p.a.sink, p.b.sink));
  CHECK(init.mgr->counters().child_rekeys == 1);
  // And again 30 s later.
  p.advance(seconds(30));
  CHECK(p.a.sink.installs == 3);
  CHECK(test::paired(p.a.sink, p.b.sink));
}

TEST_CASE("ipsec: IKE SA rekey moves the CHILD SAs and deletes the old SA", "[ipsec][sa][rekey]") {
  auto a = with(test::psk_tunnel('a'),
                [](TunnelConfig& c) { c.child_rekey_time = std::chrono::hours(1); });
  Pair p(a, with(test::psk_tunnel('b'), long_lived));
  REQUIRE(p.connect());
  const uint64_t old_spi = p.a.mgr->status().ike_sas[0].spi_i;
  const uint32_t child = p.a.sink.live.begin()->first;
  p.advance(seconds(46));
  CHECK(p.a.trace_has("> CREATE_CHILD_SA request 2 [ SA No KE ]"));
  CHECK(p.b.trace_has("> CREATE_CHILD_SA response 2 [ SA No KE ]"));
  CHECK(p.a.trace_has("> INFORMATIONAL request 3 [ D ]"));
  CHECK(p.b.trace_has("> INFORMATIONAL response 3 [ ]"));
  const auto sa = p.a.mgr->status();
  REQUIRE(sa.ike_sas.size() == 1);
  CHECK(sa.ike_sas[0].spi_i != old_spi);
  CHECK(sa.ike_sas[0].state == SaState::Established);
  REQUIRE(sa.ike_sas[0].children.size() == 1);
  CHECK(sa.ike_sas[0].children[0].spi_in == child);  // moved, not re-created
  CHECK(p.b.mgr->status().ike_sas.size() == 1);
  CHECK(p.b.mgr->status().ike_sas[0].spi_i == sa.ike_sas[0].spi_i);
  CHECK(p.a.sink.installs == 1);
  CHECK(p.a.mgr->counters().ike_rekeys == 1);
  CHECK(p.b.mgr->counters().ike_rekeys == 1);
  // The new SA counts message IDs from zero (§2.18) and works: a CHILD rekey on it.
  REQUIRE(p.a.mgr->rekey_child(child, p.now));
  p.pump();
  CHECK(p.a.trace_has("> CREATE_CHILD_SA request 0 [ N(REKEY_SA)"));
  CHECK(test::paired(p.a.sink, p.b.sink));
  CHECK(p.a.sink.live.size() == 1);
  // And it rekeys again when its own lifetime is up.
  p.advance(seconds(46));
  CHECK(p.a.mgr->counters().ike_rekeys == 2);
  CHECK(p.a.mgr->status().ike_sas.size() == 1);
  CHECK(test::paired(p.a.sink, p.b.sink));
}

TEST_CASE("ipsec: simultaneous CHILD SA rekeys (RFC 7296 §2.8.1)", "[ipsec][sa][collision]") {
  Pair p(test::psk_tunnel('a'), test::psk_tunnel('b'));
  REQUIRE(p.connect());
  // Both sides rekey the same CHILD SA at the same instant; both requests cross.
  const uint32_t a_in = p.a.sink.live.begin()->first;
  const uint32_t b_in = p.a.sink.live.begin()->second.spi_out;
  p.a.mgr->rekey_child(a_in, p.now);
  p.b.mgr->rekey_child(b_in, p.now);
  p.pump();
  CHECK(p.a.trace_has("child rekey collision"));
  CHECK(p.b.trace_has("child rekey collision"));
  CHECK(p.a.sink.live.size() == 1);
  CHECK(p.b.sink.live.size() == 1);
  CHECK(test::paired(p.a.sink, p.b.sink));
  CHECK(p.a.sink.live.count(a_in) == 0);
  // Nothing is left half-done: another round of lifetimes still works.
  p.advance(seconds(31));
  CHECK(p.a.sink.live.size() == 1);
  CHECK(test::paired(p.a.sink, p.b.sink));
}

TEST_CASE("ipsec: simultaneous IKE SA rekeys (RFC 7296 §2.8.2)", "[ipsec][sa][collision]") {
  auto cfg = [](char side) {
    return with(test::psk_tunnel(side),
                [](TunnelConfig& c) { c.child_rekey_time = std::chrono::hours(1); });
  };
  Pair p(cfg('a'), cfg('b'));
  REQUIRE(p.connect());
  const uint32_t child = p.a.sink.live.begin()->first;
  p.advance(seconds(46));  // both lifetimes end at the same instant
  CHECK(p.a.trace_has("IKE rekey collision"));
  CHECK(p.b.trace_has("IKE rekey collision"));
  const auto sa = p.a.mgr->status();
  const auto sb = p.b.mgr->status();
  REQUIRE(sa.ike_sas.size() == 1);
  REQUIRE(sb.ike_sas.size() == 1);
  CHECK(sa.ike_sas[0].spi_i == sb.ike_sas[0].spi_i);
  CHECK(sa.ike_sas[0].spi_r == sb.ike_sas[0].spi_r);
  REQUIRE(sa.ike_sas[0].children.size() == 1);
  CHECK(sa.ike_sas[0].children[0].spi_in == child);
  CHECK(sb.ike_sas[0].children.size() == 1);
  CHECK(test::paired(p.a.sink, p.b.sink));
  // The survivor keeps working.
  REQUIRE(p.a.mgr->rekey_child(child, p.now));
  p.pump();
  CHECK(test::paired(p.a.sink, p.b.sink));
}

TEST_CASE("ipsec: rekeys run for an hour of simulated time", "[ipsec][sa][rekey]") {
  Pair p(test::psk_tunnel('a'),
         with(test::psk_tunnel('b'), [](TunnelConfig& c) { c.rand_time = seconds(5); }));
  REQUIRE(p.connect());
  for (int i = 0; i < 120; ++i) {
    p.advance(seconds(30));
    INFO("after " << (i + 1) * 30 << " s");
    REQUIRE(p.a.mgr->status().ike_sas.size() == 1);
    REQUIRE(p.b.mgr->status().ike_sas.size() == 1);
    REQUIRE(p.a.sink.live.size() == 1);
    REQUIRE(test::paired(p.a.sink, p.b.sink));
  }
  CHECK(p.a.mgr->counters().ike_rekeys + p.b.mgr->counters().ike_rekeys >= 40);
}

TEST_CASE("ipsec: deleting the IKE SA", "[ipsec][sa][delete]") {
  Pair p(test::psk_tunnel('a'), test::psk_tunnel('b'));
  REQUIRE(p.connect());
  const bool from_b = GENERATE(false, true);
  (from_b ? p.b : p.a).mgr->terminate("s2s-psk", p.now);
  p.pump();
  CHECK((from_b ? p.b : p.a)
            .trace_has(from_b ? "> INFORMATIONAL request 0 [ D ]"
                              : "> INFORMATIONAL request 2 [ D ]"));
  CHECK((from_b ? p.a : p.b).trace_has("> INFORMATIONAL response"));
  CHECK(p.a.mgr->sas().empty());
  CHECK(p.b.mgr->sas().empty());
  CHECK(p.a.sink.live.empty());
  CHECK(p.b.sink.live.empty());
  CHECK_FALSE(p.a.mgr->next_deadline());
}

TEST_CASE("ipsec: CHILD SA hard lifetime without rekey deletes it", "[ipsec][sa][delete]") {
  // B accepts the CHILD SA of IKE_AUTH (no PFS there) but refuses every rekey: A's PFS
  // group is not B's. A retries after short delays until the hard lifetime deletes the SA.
  auto b = with(test::psk_tunnel('b'), [](TunnelConfig& c) {
    c.esp_proposals = {*parse_esp_proposal("aes256gcm16-modp2048")};
    long_lived(c);
  });
  auto a = with(test::psk_tunnel('a'), [](TunnelConfig& c) {
    c.esp_proposals = {*parse_esp_proposal("aes256gcm16-ecp384")};
  });
  Pair p(a, b);
  REQUIRE(p.connect());
  p.advance(seconds(31));
  CHECK(p.b.trace_has("> CREATE_CHILD_SA response 2 [ N(NO_PROP) ]"));
  CHECK(p.a.sink.live.size() == 1);
  p.advance(seconds(10));
  CHECK(p.a.sink.live.empty());
  CHECK(p.b.sink.live.empty());
  CHECK(p.a.established().size() == 1);  // the IKE SA stays
}

TEST_CASE("ipsec: liveness checks (DPD) and a dead peer", "[ipsec][sa][dpd]") {
  auto a = with(test::psk_tunnel('a'), [](TunnelConfig& c) {
    c.dpd_delay = seconds(10);
    c.child_rekey_time = std::chrono::hours(1);
    c.ike_rekey_time = std::chrono::hours(4);
  });
  Pair p(a, with(test::psk_tunnel('b'), long_lived));
  REQUIRE(p.connect());
  p.advance(seconds(11));
  CHECK(p.a.trace_has("> INFORMATIONAL request 2 [ ]"));
  CHECK(p.b.trace_has("> INFORMATIONAL response 2 [ ]"));
  CHECK(ok(p.a, ExchangeType::Informational) == 1);
  p.filter = [](const InFlight& f) { return f.from_a ? Fate::Deliver : Fate::Drop; };
  p.advance(seconds(200));
  CHECK(p.a.mgr->sas().empty());
  CHECK(p.a.sink.live.empty());
}

TEST_CASE("ipsec: traffic selector narrowing (RFC 7296 §2.9)", "[ipsec][sa][ts]") {
  SECTION("the responder narrows to its smaller subnet") {
    auto b = with(test::psk_tunnel('b'),
                  [](TunnelConfig& c) { c.local_ts = {test::ts("10.231.2.0/25")}; });
    Pair p(test::psk_tunnel('a'), b);
    REQUIRE(p.connect());
    CHECK(p.a.sink.live.begin()->second.remote_ts ==
          std::vector<TrafficSelector>{test::ts("10.231.2.0/25")});
    CHECK(test::paired(p.a.sink, p.b.sink));
  }
  SECTION("no overlap: the IKE SA comes up without a CHILD SA") {
    auto b = with(test::psk_tunnel('b'),
                  [](TunnelConfig& c) { c.local_ts = {test::ts("10.9.0.0/16")}; });
    Pair p(test::psk_tunnel('a'), b);
    REQUIRE(p.connect());
    CHECK(p.b.trace_has("> IKE_AUTH response 1 [ IDr AUTH N(TS_UNACCEPT) ]"));
    CHECK(p.a.sink.live.empty());
    CHECK(p.b.sink.live.empty());
  }
  SECTION("no ESP proposal in common") {
    auto b = with(test::psk_tunnel('b'), [](TunnelConfig& c) {
      c.esp_proposals = {*parse_esp_proposal("aes128-sha256")};
    });
    Pair p(test::psk_tunnel('a'), b);
    REQUIRE(p.connect());
    CHECK(p.b.trace_has("> IKE_AUTH response 1 [ IDr AUTH N(NO_PROP) ]"));
    CHECK(p.a.sink.live.empty());
  }
}

TEST_CASE("ipsec: the gateway as initiator and as responder", "[ipsec][sa]") {
  Pair p(test::psk_tunnel('a'), test::psk_tunnel('b'));
  auto id = p.b.mgr->initiate("s2s-psk", p.now);
  REQUIRE(id);
  p.pump();
  CHECK(p.a.established().size() == 1);
  CHECK(p.b.established().size() == 1);
  CHECK_FALSE(p.a.mgr->status().ike_sas[0].initiator);
  CHECK(test::paired(p.a.sink, p.b.sink));
}

TEST_CASE("ipsec: INITIAL_CONTACT replaces the SAs of a restarted peer", "[ipsec][sa]") {
  Pair p(test::psk_tunnel('a'), test::psk_tunnel('b'));
  REQUIRE(p.connect());
  // A "restarts": a fresh manager with the same identity connects again.
  test::Node a2("A2", {});
  REQUIRE(a2.mgr->add_tunnel(test::psk_tunnel('a')));
  REQUIRE(a2.mgr->initiate("s2s-psk", p.now));
  for (int i = 0; i < 4; ++i) {
    for (auto& pk : a2.mgr->take_packets())
      p.b.mgr->on_datagram(pk.data, pk.local, pk.remote, p.now);
    for (auto& pk : p.b.mgr->take_packets())
      a2.mgr->on_datagram(pk.data, pk.local, pk.remote, p.now);
  }
  CHECK(a2.established().size() == 1);
  CHECK(p.b.established().size() == 1);
  CHECK(p.b.sink.live.size() == 1);
  CHECK(test::paired(a2.sink, p.b.sink));
}

TEST_CASE("ipsec: message ID window and stale messages", "[ipsec][sa][window]") {
  Pair p(test::psk_tunnel('a'), test::psk_tunnel('b'));
  REQUIRE(p.connect());
  // Replay A's IKE_AUTH request: B answers from its cache, nothing new happens.
  const InFlight auth = p.delivered[2];
  p.b.mgr->on_datagram(auth.packet.data, auth.packet.local, auth.packet.remote, p.now);
  CHECK(p.b.mgr->take_packets().size() == 1);
  CHECK(p.b.mgr->counters().responses_resent == 1);
  // Replay the IKE_SA_INIT request: the SA is no longer half-open; a new one answers.
  // After a newer exchange the IKE_AUTH request is outside the window and dropped.
  p.a.mgr->rekey_child(p.a.sink.live.begin()->first, p.now);
  p.pump();
  p.b.mgr->on_datagram(auth.packet.data, auth.packet.local, auth.packet.remote, p.now);
  CHECK(p.b.mgr->take_packets().empty());
  CHECK(p.b.mgr->counters().dropped[static_cast<size_t>(DropReason::MessageId)] == 1);
  // A response nobody asked for is dropped.
  const InFlight resp = p.delivered[3];
  p.a.mgr->on_datagram(resp.packet.data, resp.packet.local, resp.packet.remote, p.now);
  CHECK(p.a.mgr->take_packets().empty());
  // Tampered ciphertext fails the ICV and is dropped silently.
  std::optional<InFlight> held;
  p.filter = [&](const InFlight& f) {
    if (f.from_a && !f.response && !held) {
      held = f;
      return Fate::Drop;
    }
    return Fate::Deliver;
  };
  p.a.mgr->rekey_child(p.a.sink.live.begin()->first, p.now);
  p.pump();
  REQUIRE(held);
  Bytes bad = held->packet.data;
  bad[bad.size() - 1] ^= 1;
  p.b.mgr->on_datagram(bad, held->packet.local, held->packet.remote, p.now);
  CHECK(p.b.mgr->take_packets().empty());
  CHECK(p.b.mgr->counters().dropped[static_cast<size_t>(DropReason::Integrity)] == 1);
  // The genuine one still works.
  p.b.mgr->on_datagram(held->packet.data, held->packet.local, held->packet.remote, p.now);
  p.filter = nullptr;
  p.pump();
  CHECK(test::paired(p.a.sink, p.b.sink));
  // Unknown SPIs are dropped.
  Bytes unknown = auth.packet.data;
  unknown[12] ^= 0x55;  // the responder's SPI
  p.b.mgr->on_datagram(unknown, auth.packet.local, auth.packet.remote, p.now);
  CHECK(p.b.mgr->counters().dropped[static_cast<size_t>(DropReason::UnknownSpi)] == 1);
}

TEST_CASE("ipsec: an authentic request with an unknown critical payload is refused (§2.5)",
          "[ipsec][sa]") {
  Pair p(test::psk_tunnel('a'), test::psk_tunnel('b'));
  REQUIRE(p.connect());
  const ike::Sa* a = only_sa(p.a);
  REQUIRE(a);
  const ike::SaContext& c = a->ctx();
  ike::Header h;
  h.spi_i = c.spi_i;
  h.spi_r = c.spi_r;
  h.exchange = kInfo;
  h.flags = ike::kFlagInitiator;
  h.message_id = 2;
  std::vector<ike::Payload> inner{
      ike::Payload{static_cast<ike::PayloadType>(222), true, ike::UnknownPayload{222, {1, 2}}}};
  uint64_t ctr = 1000;
  auto dg = ike::seal_message(h, inner, *c.cipher_out, [&](std::span<uint8_t> iv) {
    for (size_t i = iv.size(); i-- > 0; ctr >>= 8) iv[i] = static_cast<uint8_t>(ctr);
  });
  p.b.mgr->on_datagram(dg[0], c.local, c.remote, p.now);
  CHECK(p.b.trace_has("> INFORMATIONAL response 2 [ N(CRIT) ]"));
  CHECK(p.b.established().size() == 1);
}

TEST_CASE("ipsec: a peer behind a NAT that changes its mapping is followed (§2.23)",
          "[ipsec][sa][nat]") {
  Pair p(test::psk_tunnel('a'), test::psk_tunnel('b'));
  uint16_t port = 4500;
  p.rewrite = [&](InFlight& f) {
    if (f.from_a && f.packet.local.port != 500) f.packet.local.port = port;
  };
  REQUIRE(p.connect());
  port = 61000;
  p.a.mgr->rekey_child(p.a.sink.live.begin()->first, p.now);
  p.pump();
  CHECK(p.b.mgr->status().ike_sas[0].remote.port == 61000);
  for (const auto& [spi, sa] : p.b.sink.live) CHECK(sa.remote.port == 61000);
}

TEST_CASE("ipsec: configuration is validated", "[ipsec][config]") {
  test::Node n("N", {});
  CHECK(n.mgr->add_tunnel(test::psk_tunnel('a')));
  CHECK_FALSE(n.mgr->add_tunnel(test::psk_tunnel('a')));  // duplicate name
  auto bad = [&](const std::function<void(TunnelConfig&)>& f) {
    auto c = test::psk_tunnel('a');
    c->name = "x";
    f(*c);
    return !validate(*c);
  };
  CHECK(bad([](TunnelConfig& c) { c.psk = SecretBytes(Bytes(8, 1)); }));
  CHECK(bad([](TunnelConfig& c) { c.local_ts.clear(); }));
  CHECK(bad([](TunnelConfig& c) { c.remote_id = Identity{}; }));
  CHECK(bad([](TunnelConfig& c) { c.ike_proposals = {IkeProposal{}}; }));
  CHECK(bad([](TunnelConfig& c) { c.local_auth = AuthKind::PublicKey; }));
  CHECK(bad([](TunnelConfig& c) { c.fragment_size = 100; }));
  CHECK(bad([](TunnelConfig& c) { c.rand_time = std::chrono::hours(2); }));
  CHECK_FALSE(bad([](TunnelConfig&) {}));
  // A certificate whose key is not the configured key.
  auto c = test::cert_tunnel('a');
  c->private_key = test::up_ref(test::pki().key_b);
  CHECK_FALSE(validate(*c));
}

}  // namespace
}  // namespace intransit::ipsec
