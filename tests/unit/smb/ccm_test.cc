// AES-CCM on BoringSSL's AES block: RFC 3610 packet vectors and NIST SP800-38C examples
// (ccm.txt). SMB's own parameters are covered by transform_test.cc.
#include "smb/ccm.h"

#include <catch2/catch.hpp>

#include "smb_test_util.h"

using namespace intransit;
using namespace intransit::smb;
using namespace smbtest;

TEST_CASE("smb: AES-CCM vectors", "[smb][ccm][vectors]") {
  const Vector v = GENERATE(from_range(load_vectors("ccm.txt")));
  INFO(v.file << ":" << v.line << " " << v.str("Name"));
  const size_t tag_len = v.number("TagLen");
  const auto ccm = AesCcm::make(v.bytes("Key"), tag_len);
  REQUIRE(ccm);
  const Bytes nonce = v.bytes("Nonce"), aad = v.bytes("AAD"), plain = v.bytes("Plaintext");
  const Bytes want = v.bytes("Ciphertext");
  Bytes ct(plain.size()), tag(tag_len);
  REQUIRE(ccm->seal(nonce, aad, plain, ct, tag));
  Bytes got = ct;
  got.insert(got.end(), tag.begin(), tag.end());
  CHECK(to_hex(got) == to_hex(want));

  Bytes back(plain.size());
  CHECK(ccm->open(nonce, aad, ct, tag, back));
  CHECK(back == plain);

  tag[0] ^= 1;
  CHECK_FALSE(ccm->open(nonce, aad, ct, tag, back));
  CHECK(back == Bytes(plain.size(), 0));  // nothing unauthenticated is released
}

TEST_CASE("smb: AES-CCM parameter checks", "[smb][ccm]") {
  CHECK_FALSE(AesCcm::make(Bytes(24, 0)));      // AES-192 is not an SMB cipher
  CHECK_FALSE(AesCcm::make(Bytes(16, 0), 3));   // odd tag
  CHECK_FALSE(AesCcm::make(Bytes(16, 0), 18));  // tag longer than a block
  const auto ccm = AesCcm::make(Bytes(16, 0), 16);
  REQUIRE(ccm);
  Bytes out(4), tag(16);
  CHECK_FALSE(ccm->seal(Bytes(6, 0), {}, Bytes(4, 0), out, tag));   // nonce too short
  CHECK_FALSE(ccm->seal(Bytes(14, 0), {}, Bytes(4, 0), out, tag));  // nonce too long
  Bytes short_tag(8);
  CHECK_FALSE(ccm->seal(Bytes(11, 0), {}, Bytes(4, 0), out, short_tag));
  // A 13-byte nonce leaves a 2-byte length: 65536 bytes do not fit.
  Bytes big(65536), big_out(65536);
  CHECK_FALSE(ccm->seal(Bytes(13, 0), {}, big, big_out, tag));
  CHECK(ccm->seal(Bytes(13, 0), {}, BytesView(big).first(65535),
                  std::span<uint8_t>(big_out.data(), 65535), tag));
}

TEST_CASE("smb: AES-CCM with long AAD and an empty payload", "[smb][ccm]") {
  // 0xFF00 bytes of AAD switch to the 6-byte length encoding (SP800-38C A.2.2).
  const auto ccm = AesCcm::make(Bytes(32, 0x11), 16);
  REQUIRE(ccm);
  for (size_t aad_len : {size_t{0}, size_t{1}, size_t{0xFEFF}, size_t{0xFF00}, size_t{70000}}) {
    INFO("aad " << aad_len);
    const Bytes aad(aad_len, 0x5A), nonce(11, 3);
    Bytes tag(16), none;
    REQUIRE(ccm->seal(nonce, aad, {}, none, tag));
    CHECK(ccm->open(nonce, aad, {}, tag, none));
    if (!aad.empty()) {
      Bytes aad2 = aad;
      aad2.back() ^= 1;
      CHECK_FALSE(ccm->open(nonce, aad2, {}, tag, none));
    }
  }
}
