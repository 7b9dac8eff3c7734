// SMB 3.x key derivation against Microsoft's published vectors (kdf.txt, preauth.txt) and
// against the keys Samba derived for captured sessions of all four ciphers (lab_kdf.txt).
#include "smb/kdf.h"

#include <catch2/catch.hpp>

#include "smb/header.h"
#include "smb_test_util.h"

using namespace intransit;
using namespace intransit::smb;
using namespace smbtest;

namespace {

Dialect dialect_of(const Vector& v) {
  return *smb3_dialect(static_cast<uint16_t>(v.number("Dialect", 16)));
}
Cipher cipher_of(const Vector& v) {
  return *cipher_from_wire(static_cast<uint16_t>(v.number("Cipher")));
}

std::vector<Vector> all_kdf_vectors() {
  auto v = load_vectors("kdf.txt");
  for (auto& lab : load_vectors("lab_kdf.txt")) v.push_back(lab);
  return v;
}

}  // namespace

TEST_CASE("smb: session keys match the published and captured vectors", "[smb][kdf][vectors]") {
  const Vector v = GENERATE(from_range(all_kdf_vectors()));
  INFO(v.file << ":" << v.line << " " << v.str("Name"));
  const Bytes preauth = v.has("PreauthHash") ? v.bytes("PreauthHash") : Bytes{};
  const auto k = derive_session_keys(dialect_of(v), cipher_of(v), v.bytes("SessionKey"), preauth);
  REQUIRE(k);
  if (v.has("SigningKey")) CHECK(to_hex(k->signing) == to_hex(v.bytes("SigningKey")));
  if (v.has("ApplicationKey")) CHECK(to_hex(k->application) == to_hex(v.bytes("ApplicationKey")));
  CHECK(to_hex(k->client_to_server) == to_hex(v.bytes("ServerInKey")));
  CHECK(to_hex(k->server_to_client) == to_hex(v.bytes("ServerOutKey")));
  CHECK(k->client_to_server.size() == key_bytes(cipher_of(v)));
}

TEST_CASE("smb: the 3.1.1 preauth hash chain of Microsoft's example", "[smb][kdf][vectors]") {
  const auto vs = load_vectors("preauth.txt");
  REQUIRE(vs.size() == 6);
  PreauthHash h;
  for (size_t i = 0; i < 5; ++i) {
    INFO(vs[i].str("Name"));
    h.update(vs[i].bytes("Message"));
    CHECK(to_hex(h.value()) == to_hex(vs[i].bytes("Hash")));
  }
  const Vector& last = vs[5];
  CHECK(to_hex(h.value()) == to_hex(last.bytes("PreauthHash")));
  const auto k =
      derive_session_keys(Dialect::Smb311, Cipher::Aes128Gcm, last.bytes("SessionKey"), h.value());
  REQUIRE(k);
  CHECK(to_hex(k->signing) == to_hex(last.bytes("SigningKey")));
}

TEST_CASE("smb: the preauth hash of a captured Samba session", "[smb][kdf][vectors]") {
  // Over NEGOTIATE request and response, then every SESSION_SETUP message except the final
  // successful response ([MS-SMB2] 3.2.5.3.1). The gateway passes bytes unchanged, so the
  // hash it would compute is the one Samba and smbclient used.
  const std::string name = GENERATE(as<std::string>{}, "311_aes128gcm", "311_aes256gcm",
                                    "311_aes128ccm", "311_aes256ccm");
  INFO(name);
  Vector want;
  for (const auto& v : load_vectors("lab_kdf.txt")) {
    if (v.str("Name") == "lab-" + name) want = v;
  }
  REQUIRE_FALSE(want.fields.empty());
  PreauthHash h;
  for (const Frame& f : load_capture("capture_" + name + ".hex")) {
    const BytesView m = message(f);
    if (classify(m) != ProtocolId::Smb2) continue;
    const auto hdr = std::get<Parsed<Smb2Header>>(read_smb2_header(m)).value;
    if (hdr.command == static_cast<uint16_t>(Command::SessionSetup) && hdr.is_response() &&
        hdr.status == 0)
      break;
    if (hdr.command <= static_cast<uint16_t>(Command::SessionSetup)) h.update(m);
  }
  CHECK(to_hex(h.value()) == to_hex(want.bytes("PreauthHash")));
}

TEST_CASE("smb: SP800-108 counter mode produces more than one block", "[smb][kdf]") {
  // Two blocks: K(1) || K(2); the first 16 bytes equal a 128-bit derivation only in their
  // PRF input's L field, so they differ: L is part of every block.
  const Bytes ki(16, 0x0B);
  const Bytes label = {'L', 0}, context = {'C', 0};
  Bytes a(48), b(16);
  sp800_108_hmac_sha256(ki, label, context, a);
  sp800_108_hmac_sha256(ki, label, context, b);
  CHECK(a.size() == 48);
  CHECK_FALSE(std::equal(b.begin(), b.end(), a.begin()));
  Bytes a2(48);
  sp800_108_hmac_sha256(ki, label, context, a2);
  CHECK(a == a2);
}

TEST_CASE("smb: derive_session_keys refuses bad inputs", "[smb][kdf]") {
  CHECK_FALSE(derive_session_keys(Dialect::Smb300, Cipher::Aes128Ccm, {}, {}));
  const Bytes sk(16, 1);
  CHECK_FALSE(derive_session_keys(Dialect::Smb311, Cipher::Aes128Gcm, sk, Bytes(32, 0)));
  CHECK(derive_session_keys(Dialect::Smb311, Cipher::Aes128Gcm, sk, Bytes(64, 0)));
  // A short GSS key is zero-padded to 16 bytes for Session.SessionKey.
  const auto short_key =
      derive_session_keys(Dialect::Smb300, Cipher::Aes128Ccm, Bytes{1, 2, 3}, {});
  Bytes padded(16, 0);
  padded[0] = 1;
  padded[1] = 2;
  padded[2] = 3;
  const auto padded_key = derive_session_keys(Dialect::Smb300, Cipher::Aes128Ccm, padded, {});
  REQUIRE(short_key);
  REQUIRE(padded_key);
  CHECK(short_key->signing == padded_key->signing);
}
