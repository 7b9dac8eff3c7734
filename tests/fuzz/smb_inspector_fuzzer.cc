// Fuzz target for smb::Inspector and the SMB codecs.
//
// Input: one policy byte, then records `ctl, bytes...`: ctl bit 0 is the side (client/server),
// ctl >> 1 plus one is how many bytes follow for that side. The stream is fed to two inspectors,
// one in the record's pieces and one a byte at a time, and the target checks that
//   - both always give the same verdict and forward the same bytes (split invariance);
//   - what is forwarded from a side is exactly a prefix of what that side sent (the inspector
//     never changes, invents or reorders a byte);
//   - once dropped, nothing more is forwarded.
// The codecs and the TRANSFORM decryption also run on the raw input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gateway/base/byte_queue.h"
#include "smb/header.h"
#include "smb/inspector.h"
#include "smb/negotiate.h"
#include "smb/session_setup.h"
#include "smb/transform.h"

using namespace intransit;
using namespace intransit::smb;

namespace {

Bytes drain(ByteQueue& q) {
  Bytes out(q.size());
  q.copy_out(out);
  q.consume(q.size());
  return out;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const BytesView in(data, size);
  const uint8_t p = in[0];
  InspectorPolicy policy;
  policy.mode = (p & 1) ? Mode::Strict : Mode::Standard;
  if (p & 2) {
    policy.allowed_ciphers = CipherSet();
    policy.allowed_ciphers.add((p & 4) ? Cipher::Aes256Gcm : Cipher::Aes128Ccm);
  }
  if (p & 8) policy.max_sessions = 1;
  if (p & 16) policy.max_plain_frame_bytes = 4096;

  Inspector a(policy), b(policy);
  ByteQueue out_a[2], out_b[2];
  Bytes sent[2], fwd_a[2], fwd_b[2];
  size_t pos = 1;
  while (pos < size) {
    const uint8_t ctl = in[pos++];
    const Side side = (ctl & 1) ? Side::Server : Side::Client;
    const size_t s = static_cast<size_t>(side);
    const size_t n = std::min<size_t>((ctl >> 1) + 1, size - pos);
    const BytesView chunk = in.subspan(pos, n);
    pos += n;
    sent[s].insert(sent[s].end(), chunk.begin(), chunk.end());
    const Verdict va = a.feed(side, chunk, out_a[s]);
    Verdict vb;
    for (size_t i = 0; i < n; ++i) vb = b.feed(side, chunk.subspan(i, 1), out_b[s]);
    if (n == 0) vb = b.verdict();
    check(va == vb);
    check(a.state() == b.state());
    for (size_t k = 0; k < 2; ++k) {
      const Bytes ga = drain(out_a[k]), gb = drain(out_b[k]);
      check(ga == gb);
      fwd_a[k].insert(fwd_a[k].end(), ga.begin(), ga.end());
      fwd_b[k].insert(fwd_b[k].end(), gb.begin(), gb.end());
      check(fwd_a[k].size() <= sent[k].size());
      check(std::equal(fwd_a[k].begin(), fwd_a[k].end(), sent[k].begin()));
    }
    if (va.dropped()) {
      ByteQueue after;
      check(a.feed(side, chunk, after) == va);
      check(after.empty());
    }
  }

  // The codecs on the raw input.
  (void)parse_negotiate_request(in);
  (void)parse_negotiate_response(in);
  (void)parse_session_setup_request(in);
  (void)parse_session_setup_response(in);
  BytesView rest = in;
  for (int i = 0; i < 64 && !rest.empty(); ++i) {
    if (!next_message(rest, 0)) break;
  }
  if (p & 0x80) {
    static const uint8_t kKey[32] = {1, 2, 3};
    for (Cipher c : kAllCiphers) {
      (void)decrypt_message(c, BytesView(kKey, key_bytes(c)), in.subspan(1));
    }
  }
  return 0;
}
