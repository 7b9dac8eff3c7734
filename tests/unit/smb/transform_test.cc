// TRANSFORM encryption against Microsoft's published vectors (transform.txt) and Samba's
// captured frames for all four ciphers (lab_transform.txt).
#include "smb/transform.h"

#include <catch2/catch.hpp>

#include "smb/header.h"
#include "smb_test_util.h"

using namespace intransit;
using namespace intransit::smb;
using namespace smbtest;

namespace {

std::vector<Vector> all_transform_vectors() {
  auto v = load_vectors("transform.txt");
  for (auto& lab : load_vectors("lab_transform.txt")) v.push_back(lab);
  return v;
}

Cipher cipher_of(const Vector& v) {
  return *cipher_from_wire(static_cast<uint16_t>(v.number("Cipher")));
}

}  // namespace

TEST_CASE("smb: TRANSFORM vectors decrypt and re-encrypt exactly", "[smb][transform][vectors]") {
  const Vector v = GENERATE(from_range(all_transform_vectors()));
  INFO(v.file << ":" << v.line << " " << v.str("Name"));
  const Cipher c = cipher_of(v);
  const Bytes key = v.bytes("Key"), plain = v.bytes("Plaintext"), tf = v.bytes("Transform");
  const auto opened = decrypt_message(c, key, tf);
  REQUIRE(opened);
  CHECK(to_hex(*opened) == to_hex(plain));

  const auto h = std::get<Parsed<TransformHeader>>(read_transform_header(tf)).value;
  const auto sealed = encrypt_message(c, key, h.nonce, h.session_id, plain);
  REQUIRE(sealed);
  CHECK(to_hex(*sealed) == to_hex(tf));
}

TEST_CASE("smb: TRANSFORM tampering is detected", "[smb][transform][vectors]") {
  const Vector v = GENERATE(from_range(all_transform_vectors()));
  INFO(v.str("Name"));
  const Bytes key = v.bytes("Key"), tf = v.bytes("Transform");
  // Tag, nonce (AAD), SessionId (AAD), ciphertext: one bit each.
  for (size_t at : {size_t{4}, size_t{20}, size_t{35}, size_t{44}, tf.size() - 1}) {
    Bytes bad = tf;
    bad[at] ^= 0x01;
    const auto r = decrypt_message(cipher_of(v), key, bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().label == "auth_failed");
  }
  Bytes wrong_key = key;
  wrong_key[0] ^= 0x80;
  CHECK_FALSE(decrypt_message(cipher_of(v), wrong_key, tf));
}

TEST_CASE("smb: malformed TRANSFORM messages are refused before decryption", "[smb][transform]") {
  const Vector v = load_vectors("transform.txt").at(2);
  const Bytes key = v.bytes("Key");
  Bytes tf = v.bytes("Transform");
  SECTION("short") {
    CHECK(decrypt_message(Cipher::Aes128Gcm, key, BytesView(tf).first(40)).error().label ==
          "bad_transform");
  }
  SECTION("length") {
    tf.push_back(0);
    CHECK(decrypt_message(Cipher::Aes128Gcm, key, tf).error().label == "bad_transform");
  }
  SECTION("flags") {
    tf[42] = 2;
    CHECK(decrypt_message(Cipher::Aes128Gcm, key, tf).error().label == "bad_transform");
  }
  SECTION("key length") {
    CHECK(decrypt_message(Cipher::Aes256Gcm, key, tf).error().label == "bad_key_length");
  }
}

TEST_CASE("smb: every cipher round-trips with a short nonce", "[smb][transform]") {
  const Cipher c =
      GENERATE(from_range(std::vector<Cipher>(std::begin(kAllCiphers), std::end(kAllCiphers))));
  INFO(label(c));
  const Bytes key(key_bytes(c), 0x42);
  const Bytes nonce(nonce_bytes(c), 0x07);
  const Bytes msg = negotiate_request({0x0311}, 0, {encryption_context({1, 2, 3, 4})});
  const auto sealed = encrypt_message(c, key, nonce, 0x1122334455667788ull, msg);
  REQUIRE(sealed);
  CHECK(sealed->size() == msg.size() + kTransformHeaderBytes);
  const auto h = std::get<Parsed<TransformHeader>>(read_transform_header(*sealed)).value;
  CHECK(h.session_id == 0x1122334455667788ull);
  CHECK(h.original_message_size == msg.size());
  CHECK(h.flags == kTransformEncrypted);
  for (size_t i = nonce.size(); i < 16; ++i) CHECK(h.nonce[i] == 0);
  const auto opened = decrypt_message(c, key, *sealed);
  REQUIRE(opened);
  CHECK(*opened == msg);
  CHECK_FALSE(encrypt_message(c, key, Bytes(10, 0), 1, msg));   // bad nonce length
  CHECK_FALSE(encrypt_message(c, Bytes(8, 0), nonce, 1, msg));  // bad key length
  CHECK_FALSE(encrypt_message(c, key, nonce, 1, {}));           // nothing to carry
}
