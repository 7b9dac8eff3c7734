// Proposal negotiation (RFC 7296 §2.7, §3.3): offers, the responder's choice, the
// initiator's acceptance checks, key lengths, AEAD rules and DH preferences.
#include "ipsec/ike/proposal.h"

#include <catch2/catch.hpp>

#include "ike_test_support.h"
#include "ipsec/ike/message.h"

namespace intransit::ipsec::ike {
namespace {

Transform tf(TransformType type, uint16_t id, std::optional<uint16_t> key_length) {
  Transform t;
  t.type = type;
  t.id = id;
  t.key_length = key_length;
  return t;
}

IkeProposal ike(std::string_view s) {
  return *parse_ike_proposal(s);
}
EspProposal esp(std::string_view s) {
  return *parse_esp_proposal(s);
}

TEST_CASE("ipsec: strongSwan's IKE offer meets our proposals", "[ipsec][proposal]") {
  auto d = decode(test::vector_named("ike/kat_ikev2_strongswan.txt", "strongswan-psk-ecp384")
                      .hex("IkeSaInitRequest"));
  REQUIRE(d);
  const SaPayload& offer = std::get<SaPayload>(d->payloads.front().body);
  SECTION("our preference order wins") {
    auto c = select_ike(offer,
                        {ike("aes256gcm16-prfsha256-x25519"), ike("aes256gcm16-prfsha384-ecp384")},
                        DhGroup::Ecp384, 0);
    REQUIRE(c);
    CHECK(c->number == 2);
    CHECK(c->suite.to_string() == "aes256gcm16/prfsha256/x25519");
  }
  SECTION("the KE group is preferred inside a matching proposal") {
    auto c = select_ike(offer, {ike("aes256gcm16-prfsha384-prfsha256-x25519-ecp384")},
                        DhGroup::Ecp384, 0);
    REQUIRE(c);
    CHECK(c->suite.dh == DhGroup::Ecp384);
    CHECK(c->number == 1);
  }
  SECTION("nothing in common") {
    auto c = select_ike(offer, {ike("aes128-sha256-modp2048")}, DhGroup::Ecp384, 0);
    REQUIRE_FALSE(c);
    CHECK(c.error().code == Errc::NoProposalChosen);
  }
  SECTION("key length must match") {
    CHECK_FALSE(select_ike(offer, {ike("aes128gcm16-prfsha384-ecp384")}, DhGroup::Ecp384, 0));
  }
  SECTION("IKE_SA_INIT proposals carry no SPI; a rekey needs 8 bytes") {
    CHECK_FALSE(select_ike(offer, {ike("aes256gcm16-prfsha384-ecp384")}, DhGroup::Ecp384, 8));
  }
}

TEST_CASE("ipsec: offer, select, answer, accept", "[ipsec][proposal]") {
  const std::vector<IkeProposal> mine = default_ike_proposals();
  const SaPayload offer = ike_offer(mine, {}, DhGroup::Ecp384);
  REQUIRE(offer.proposals.size() == 2);
  CHECK(offer.proposals[0].number == 1);
  CHECK(offer.proposals[1].number == 2);
  // ECP-384 was moved to the front of the first proposal's groups to match the KE.
  auto first_dh =
      std::find_if(offer.proposals[0].transforms.begin(), offer.proposals[0].transforms.end(),
                   [](const Transform& t) { return t.type == TransformType::Dh; });
  CHECK(first_dh->id == 20);
  // ChaCha20-Poly1305 carries no key length attribute (RFC 7634 §3).
  for (const auto& t : offer.proposals[0].transforms) {
    if (t.type == TransformType::Encr && t.id == 28) CHECK_FALSE(t.key_length);
  }
  auto c = select_ike(offer, {ike("aes256-sha256-prfsha256-modp2048")}, DhGroup::Ecp384, 0);
  REQUIRE(c);
  CHECK(c->number == 2);
  CHECK(c->suite.to_string() == "aes256/sha256/prfsha256/modp2048");
  const SaPayload answer = ike_answer(*c, {});
  auto back = accept_ike(answer, offer, 0);
  REQUIRE(back);
  CHECK(back->suite == c->suite);

  SECTION("an answer must be one of our offers") {
    SaPayload bad = answer;
    bad.proposals[0].number = 1;  // the numbers do not match the transforms
    CHECK_FALSE(accept_ike(bad, offer, 0));
    bad = answer;
    bad.proposals[0].transforms.push_back(tf(TransformType::Dh, 19, std::nullopt));
    CHECK_FALSE(accept_ike(bad, offer, 0));  // two DH transforms
    bad = answer;
    bad.proposals.push_back(answer.proposals[0]);
    CHECK_FALSE(accept_ike(bad, offer, 0));  // two proposals
    bad = answer;
    bad.proposals[0].transforms[0].key_length = 192;
    CHECK_FALSE(accept_ike(bad, offer, 0));
  }
}

TEST_CASE(
    "ipsec: ESP selection: ESN is mandatory, DH stripped in IKE_AUTH, matched in "
    "CREATE_CHILD_SA",
    "[ipsec][proposal]") {
  const std::vector<EspProposal> mine = {esp("aes256gcm16-x25519-ecp384"),
                                         esp("aes128-sha256-modp2048")};
  SECTION("IKE_AUTH: no DH transforms offered, any of ours matches") {
    const SaPayload offer = esp_offer(mine, 0x11223344, false);
    for (const auto& p : offer.proposals) {
      for (const auto& t : p.transforms) CHECK(t.type != TransformType::Dh);
    }
    auto c = select_esp(offer, mine, DhUse::Ignore, std::nullopt);
    REQUIRE(c);
    CHECK(c->peer_spi == 0x11223344);
    CHECK(c->suite.dh == DhGroup::None);
    auto back = accept_esp(esp_answer(*c, 0x55667788), offer, DhUse::Ignore);
    REQUIRE(back);
    CHECK(back->peer_spi == 0x55667788);
  }
  SECTION("proposals that collapse without DH are sent once") {
    const SaPayload offer =
        esp_offer({esp("aes256gcm16-ecp384"), esp("aes256gcm16-x25519")}, 1, false);
    CHECK(offer.proposals.size() == 1);
  }
  SECTION("CREATE_CHILD_SA: PFS group preference and KE match") {
    const SaPayload offer = esp_offer(mine, 7, true, DhGroup::Ecp384);
    auto c = select_esp(offer, mine, DhUse::Match, DhGroup::Ecp384);
    REQUIRE(c);
    CHECK(c->suite.dh == DhGroup::Ecp384);
    auto d = select_esp(offer, mine, DhUse::Match, std::nullopt);
    REQUIRE(d);
    CHECK(d->suite.dh == DhGroup::Curve25519);
    // No PFS on our side: a PFS-only offer does not match.
    CHECK_FALSE(select_esp(offer, {esp("aes256gcm16")}, DhUse::Match, DhGroup::Ecp384));
    // An answer without DH to a PFS offer is refused.
    EspChoice none = *c;
    none.suite.dh = DhGroup::None;
    CHECK_FALSE(accept_esp(esp_answer(none, 9), offer, DhUse::Match));
  }
  SECTION("no ESN transform: unacceptable (§3.3.3)") {
    SaPayload offer = esp_offer(mine, 7, false);
    for (auto& p : offer.proposals) {
      std::erase_if(p.transforms, [](const Transform& t) { return t.type == TransformType::Esn; });
    }
    CHECK_FALSE(select_esp(offer, mine, DhUse::Ignore, std::nullopt));
  }
  SECTION("AEAD with a real integrity transform is refused (§3.3)") {
    SaPayload offer = esp_offer({esp("aes256gcm16")}, 7, false);
    offer.proposals[0].transforms.push_back(tf(TransformType::Integ, 12, std::nullopt));
    CHECK_FALSE(select_esp(offer, {esp("aes256gcm16")}, DhUse::Ignore, std::nullopt));
  }
  SECTION("unknown transform types or attributes make a proposal unacceptable (§3.3.6)") {
    SaPayload offer = esp_offer({esp("aes256gcm16")}, 7, false);
    offer.proposals[0].transforms.push_back(tf(static_cast<TransformType>(9), 1, std::nullopt));
    CHECK_FALSE(select_esp(offer, {esp("aes256gcm16")}, DhUse::Ignore, std::nullopt));
    offer = esp_offer({esp("aes256gcm16")}, 7, false);
    offer.proposals[0].transforms[0].unknown_attribute = true;
    CHECK_FALSE(select_esp(offer, {esp("aes256gcm16")}, DhUse::Ignore, std::nullopt));
  }
}

TEST_CASE("ipsec: proposal strings", "[ipsec][proposal][config]") {
  CHECK(to_string(ike("aes256gcm16-prfsha384-ecp384")) == "aes256gcm16-prfsha384-ecp384");
  CHECK(to_string(ike("aes128-sha256-modp2048")) == "aes128-sha256-prfsha256-modp2048");
  CHECK(to_string(esp("chacha20poly1305-x25519-esn")) == "chacha20poly1305-x25519-esn");
  CHECK(to_string(esp("aes256gcm16")) == "aes256gcm16-noesn");
  CHECK_FALSE(parse_ike_proposal("aes256gcm16-prfsha384"));                // no DH group
  CHECK_FALSE(parse_ike_proposal("aes256-prfsha256-ecp256"));              // CBC without integrity
  CHECK_FALSE(parse_ike_proposal("aes256gcm16-sha256-prfsha256-ecp256"));  // AEAD + integrity
  CHECK_FALSE(parse_ike_proposal("3des-sha1-modp1024"));
  CHECK_FALSE(parse_esp_proposal("aes256gcm16-aes256-sha256"));  // mixed
  auto bad = parse_ike_proposal("aes256gcm16-prfsha384-ecp521");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().detail.find("ecp521") != std::string::npos);
}

}  // namespace
}  // namespace intransit::ipsec::ike
