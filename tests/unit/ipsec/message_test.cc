// The IKE message codec (RFC 7296 §3): strongSwan's real IKE_SA_INIT messages, round trips
// of every payload type, truncation at every length, unknown payloads (§2.5), and the SK
// framing rules (§3.14).
#include "ipsec/ike/message.h"

#include <catch2/catch.hpp>

#include "ike_test_support.h"

namespace intransit::ipsec::ike {
namespace {

Transform tf(TransformType type, uint16_t id, std::optional<uint16_t> key_length) {
  Transform t;
  t.type = type;
  t.id = id;
  t.key_length = key_length;
  return t;
}

using test::hex;

test::Vector kat() {
  return test::vector_named("ike/kat_ikev2_strongswan.txt", "strongswan-psk-ecp384");
}

std::vector<std::string> describe_all(const std::vector<Payload>& ps) {
  std::vector<std::string> out;
  for (const auto& p : ps) out.push_back(describe(p));
  return out;
}

TEST_CASE("ipsec: strongSwan's IKE_SA_INIT request decodes as the README describes",
          "[ipsec][message][strongswan]") {
  const Bytes req = kat().hex("IkeSaInitRequest");
  auto d = decode(req);
  REQUIRE(d);
  CHECK(d->header.spi_i == 0x0cd0fca157660852ULL);
  CHECK(d->header.spi_r == 0);
  CHECK(d->header.exchange_type() == ExchangeType::IkeSaInit);
  CHECK(d->header.from_original_initiator());
  CHECK_FALSE(d->header.is_response());
  CHECK(d->header.message_id == 0);
  CHECK(d->header.length == 332);
  CHECK_FALSE(d->encrypted);
  CHECK(summary(d->header, d->payloads) ==
        "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) "
        "N(REDIR_SUP) ]");
  const Message m{d->header, d->payloads};
  const SaPayload* sa = m.first<SaPayload>(PayloadType::Sa);
  REQUIRE(sa);
  REQUIRE(sa->proposals.size() == 2);
  const Proposal& p1 = sa->proposals[0];
  CHECK(p1.number == 1);
  CHECK(p1.protocol == ProtocolId::Ike);
  CHECK(p1.spi.empty());
  REQUIRE(p1.transforms.size() == 3);
  CHECK(p1.transforms[0].type == TransformType::Encr);
  CHECK(p1.transforms[0].id == 20);
  CHECK(p1.transforms[0].key_length == 256);
  CHECK(p1.transforms[1].type == TransformType::Prf);
  CHECK(p1.transforms[1].id == 6);
  CHECK(p1.transforms[2].type == TransformType::Dh);
  CHECK(p1.transforms[2].id == 20);
  CHECK(sa->proposals[1].transforms[1].id == 5);
  CHECK(sa->proposals[1].transforms[2].id == 31);
  const KePayload* ke = m.first<KePayload>(PayloadType::Ke);
  REQUIRE(ke);
  CHECK(ke->group == 20);
  CHECK(ke->data.size() == 96);
  const NoncePayload* ni = m.first<NoncePayload>(PayloadType::Nonce);
  REQUIRE(ni);
  CHECK(ni->data == kat().hex("Ni"));
  const NotifyPayload* h = m.notify(NotifyType::SignatureHashAlgorithms);
  REQUIRE(h);
  CHECK(h->data == hex("0002000300040005"));
}

TEST_CASE("ipsec: strongSwan's IKE_SA_INIT response decodes, CERTREQ included",
          "[ipsec][message][strongswan]") {
  auto d = decode(kat().hex("IkeSaInitResponse"));
  REQUIRE(d);
  CHECK(d->header.is_response());
  CHECK_FALSE(d->header.from_original_initiator());
  CHECK(d->header.spi_r == 0x8754a2637b970794ULL);
  CHECK(summary(d->header, d->payloads) ==
        "IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) CERTREQ N(FRAG_SUP) "
        "N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]");
  const Message m{d->header, d->payloads};
  const CertReqPayload* cr = m.first<CertReqPayload>(PayloadType::CertReq);
  REQUIRE(cr);
  CHECK(cr->encoding == 4);
  CHECK(cr->authorities.size() == 20);  // SHA-1 of the CA's SubjectPublicKeyInfo
  const SaPayload* sa = m.first<SaPayload>(PayloadType::Sa);
  REQUIRE(sa);
  REQUIRE(sa->proposals.size() == 1);
  CHECK(sa->proposals[0].number == 1);
}

TEST_CASE("ipsec: IKE_SA_INIT messages re-encode byte for byte", "[ipsec][message][strongswan]") {
  for (const char* key : {"IkeSaInitRequest", "IkeSaInitResponse"}) {
    INFO(key);
    const Bytes raw = kat().hex(key);
    auto d = decode(raw);
    REQUIRE(d);
    CHECK(encode_plain(d->header, d->payloads) == raw);
  }
}

TEST_CASE("ipsec: every truncation of a message is refused with an offset", "[ipsec][message]") {
  const Bytes raw = kat().hex("IkeSaInitRequest");
  for (size_t n = 0; n < raw.size(); ++n) {
    Bytes cut(raw.begin(), raw.begin() + static_cast<long>(n));
    // Keep the length field consistent so the payload walk itself runs out of bytes.
    if (n >= kHeaderBytes) {
      cut[24] = static_cast<uint8_t>(n >> 24);
      cut[25] = static_cast<uint8_t>(n >> 16);
      cut[26] = static_cast<uint8_t>(n >> 8);
      cut[27] = static_cast<uint8_t>(n);
    }
    auto d = decode(cut);
    INFO("length " << n);
    REQUIRE_FALSE(d);
    CHECK(d.error().offset <= n);
  }
}

TEST_CASE("ipsec: header checks", "[ipsec][message]") {
  Bytes raw = kat().hex("IkeSaInitRequest");
  SECTION("length field larger than the datagram") {
    raw[27] = static_cast<uint8_t>(raw[27] + 1);
    auto d = decode(raw);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == Errc::BadLength);
  }
  SECTION("major version 3") {
    raw[17] = 0x30;
    auto d = decode(raw);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == Errc::BadVersion);
  }
  SECTION("a higher minor version is accepted (§2.5)") {
    raw[17] = 0x21;
    CHECK(decode(raw));
  }
}

Bytes message_with(const std::vector<Payload>& ps, uint8_t exchange = 34) {
  Header h;
  h.spi_i = 0x1122334455667788ULL;
  h.exchange = exchange;
  h.flags = kFlagInitiator;
  return encode_plain(h, ps);
}

TEST_CASE("ipsec: unknown payloads: skipped unless critical (§2.5)", "[ipsec][message]") {
  std::vector<Payload> ps;
  ps.push_back(make_nonce(Bytes(32, 7)));
  ps.push_back(Payload{static_cast<PayloadType>(200), false, UnknownPayload{200, Bytes{1, 2, 3}}});
  ps.push_back(make_notify(NotifyType::InitialContact));
  SECTION("non-critical") {
    auto d = decode(message_with(ps));
    REQUIRE(d);
    CHECK(describe_all(d->payloads) == std::vector<std::string>{"No", "U(200)", "N(INIT_CONTACT)"});
  }
  SECTION("critical") {
    ps[1].critical = true;
    auto d = decode(message_with(ps));
    REQUIRE_FALSE(d);
    CHECK(d.error().code == Errc::UnsupportedCriticalPayload);
    CHECK(d.error().data == 200);
    CHECK(d.error().offset == kHeaderBytes + 36);
    CHECK(notify_for(d.error().code) == NotifyType::UnsupportedCriticalPayload);
  }
  SECTION("a known payload with the critical bit is fine") {
    ps[0].critical = true;
    CHECK(decode(message_with(ps)));
  }
}

TEST_CASE("ipsec: every payload type round-trips", "[ipsec][message]") {
  std::vector<Payload> ps;
  SaPayload sa;
  Proposal p;
  p.number = 1;
  p.protocol = ProtocolId::Esp;
  p.spi = {0xc1, 0x36, 0x79, 0xa3};
  p.transforms = {tf(TransformType::Encr, 20, 256), tf(TransformType::Encr, 12, 128),
                  tf(TransformType::Integ, 12, std::nullopt),
                  tf(TransformType::Dh, 31, std::nullopt), tf(TransformType::Esn, 0, std::nullopt)};
  sa.proposals = {p, p};
  sa.proposals[1].number = 2;
  ps.push_back(Payload{PayloadType::Sa, false, sa});
  ps.push_back(make_ke(31, Bytes(32, 0x42)));
  ps.push_back(Payload{PayloadType::IdI, false, IdPayload{1, {10, 231, 0, 1}}});
  ps.push_back(Payload{PayloadType::IdR, false, IdPayload{2, Bytes{'g', 'w', 'b'}}});
  ps.push_back(Payload{PayloadType::Cert, false, CertPayload{4, Bytes(100, 0x30)}});
  ps.push_back(Payload{PayloadType::CertReq, false, CertReqPayload{4, Bytes(40, 0xaa)}});
  ps.push_back(Payload{PayloadType::Auth, false, AuthPayload{2, Bytes(48, 0x55)}});
  ps.push_back(make_nonce(Bytes(32, 1)));
  ps.push_back(make_notify(NotifyType::RekeySa, {}, ProtocolId::Esp, Bytes{1, 2, 3, 4}));
  ps.push_back(Payload{PayloadType::Delete, false, DeletePayload{ProtocolId::Esp, {0x11, 0x22}}});
  ps.push_back(Payload{PayloadType::Delete, false, DeletePayload{ProtocolId::Ike, {}}});
  ps.push_back(Payload{PayloadType::VendorId, false, VendorIdPayload{Bytes{'s', 'w'}}});
  TsPayload tsp;
  tsp.selectors = {test::ts("10.231.1.0/24"), test::ts("2001:db8::/64")};
  tsp.selectors[0].ip_protocol = 6;
  tsp.selectors[0].start_port = 443;
  tsp.selectors[0].end_port = 443;
  ps.push_back(Payload{PayloadType::TsI, false, tsp});
  ps.push_back(Payload{PayloadType::TsR, false, TsPayload{{test::ts("10.231.2.0/24")}, {}}});
  ps.push_back(Payload{PayloadType::Cp, false,
                       CpPayload{1, {CpAttribute{1, {}}, CpAttribute{3, {1, 2, 3, 4}}}}});
  ps.push_back(Payload{PayloadType::Eap, false, EapPayload{Bytes{1, 2, 0, 4}}});
  const Bytes wire = message_with(ps, 35);
  auto d = decode(wire);
  REQUIRE(d);
  CHECK(d->payloads == ps);
  CHECK(encode_plain(d->header, d->payloads) == wire);
  CHECK(summary(d->header, d->payloads) ==
        "IKE_AUTH request 0 [ SA KE IDi IDr CERT CERTREQ AUTH No N(REKEY_SA) D D V TSi TSr CP "
        "EAP ]");
}

TEST_CASE("ipsec: unknown transform attributes and TS types survive a round trip",
          "[ipsec][message]") {
  Transform odd{TransformType::Encr,
                12,
                std::nullopt,
                true,
                {0x80, 0x0e, 0x00, 0x80, 0x00, 0x07, 0x00, 0x01, 0xaa}};
  TsPayload tsp{{test::ts("10.0.0.0/8")}, {UnknownSelector{13, {1, 2, 3, 4}}}};
  const std::vector<Payload> ps{
      Payload{PayloadType::Sa, false, SaPayload{{Proposal{1, ProtocolId::Ike, {}, {odd}}}}},
      Payload{PayloadType::TsI, false, tsp}};
  auto d = decode(message_with(ps));
  REQUIRE(d);
  const auto& t = std::get<SaPayload>(d->payloads[0].body).proposals[0].transforms[0];
  CHECK(t.unknown_attribute);
  CHECK(t.key_length == 128);
  CHECK(encode_plain(d->header, d->payloads) == message_with(ps));
  CHECK(std::get<TsPayload>(d->payloads[1].body) == tsp);
}

TEST_CASE("ipsec: malformed payload bodies are refused", "[ipsec][message]") {
  auto refused = [](std::vector<Payload> ps) {
    auto d = decode(message_with(ps));
    return !d && (d.error().code == Errc::MalformedPayload || d.error().code == Errc::Truncated);
  };
  CHECK(refused({make_nonce(Bytes(15, 1))}));  // §3.9: 16..256
  CHECK(refused({make_nonce(Bytes(257, 1))}));
  CHECK_FALSE(refused({make_nonce(Bytes(16, 1))}));
  CHECK(refused({Payload{PayloadType::Delete, false, DeletePayload{ProtocolId::None, {1}}}}));
  CHECK(refused({Payload{PayloadType::TsI, false, TsPayload{}}}));  // zero selectors
  CHECK(refused({Payload{PayloadType::Sa, false, SaPayload{}}}));   // no proposal
  // A proposal claiming more transforms than it holds.
  Bytes raw = message_with(
      {Payload{PayloadType::Sa, false,
               SaPayload{{Proposal{1, ProtocolId::Ike, {}, {tf(TransformType::Encr, 20, 128)}}}}}});
  raw[kHeaderBytes + 4 + 7] = 2;
  CHECK_FALSE(decode(raw));
}

TEST_CASE("ipsec: the Encrypted payload must come last (§3.14)", "[ipsec][message]") {
  // Header, then SK with 20 bytes of body, then a trailing Nonce: refused.
  Header h;
  h.spi_i = 1;
  h.spi_r = 2;
  h.exchange = 35;
  h.next_payload = 46;
  Writer w;
  w.u8(40).u8(0).u16(24).zeros(20);  // SK, "next" = Nonce
  w.u8(0).u8(0).u16(20).zeros(16);   // a Nonce after it
  Bytes body = w.finish();
  h.length = static_cast<uint32_t>(kHeaderBytes + body.size());
  Bytes raw = encode_header(h);
  raw.insert(raw.end(), body.begin(), body.end());
  auto d = decode(raw);
  REQUIRE_FALSE(d);
  CHECK(d.error().code == Errc::SkNotLast);
  // Without the trailing payload it is framed, still encrypted.
  h.length = kHeaderBytes + 24;
  Bytes ok = encode_header(h);
  ok.insert(ok.end(), body.begin(), body.begin() + 24);
  auto e = decode(ok);
  REQUIRE(e);
  REQUIRE(e->encrypted);
  CHECK(e->encrypted->inner_next == 40);
  CHECK(e->encrypted->aad_end == kHeaderBytes + 4);
  CHECK(e->encrypted->body.size() == 20);
}

TEST_CASE("ipsec: SKF framing checks (RFC 7383 §2.5)", "[ipsec][message]") {
  auto skf = [](uint16_t no, uint16_t total, uint8_t next) {
    Header h;
    h.spi_i = 1;
    h.spi_r = 2;
    h.exchange = 35;
    h.next_payload = 53;
    Writer w;
    w.u8(next).u8(0).u16(28).u16(no).u16(total).zeros(20);
    Bytes body = w.finish();
    h.length = static_cast<uint32_t>(kHeaderBytes + body.size());
    Bytes raw = encode_header(h);
    raw.insert(raw.end(), body.begin(), body.end());
    return decode(raw);
  };
  CHECK(skf(1, 3, 35));
  CHECK(skf(2, 3, 0));
  CHECK_FALSE(skf(2, 3, 35));  // only the first fragment names the inner payload
  CHECK_FALSE(skf(0, 3, 0));
  CHECK_FALSE(skf(4, 3, 0));
  auto d = skf(3, 3, 0);
  REQUIRE(d);
  CHECK(d->encrypted->type == PayloadType::Skf);
  CHECK(d->encrypted->fragment_number == 3);
  CHECK(d->encrypted->total_fragments == 3);
  CHECK(d->encrypted->aad_end == kHeaderBytes + 8);
}

}  // namespace
}  // namespace intransit::ipsec::ike
