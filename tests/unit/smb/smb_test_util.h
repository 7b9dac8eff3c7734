// Test helpers for the SMB door: vector files (BoringSSL's `Key: hex` blocks), captured
// sessions (tests/vectors/smb/capture_*.hex), a message builder for the cases no real peer
// sends, and a conversation driver that feeds an Inspector frame by frame, in one piece or
// one byte at a time.
#pragma once

#include <openssl/bytestring.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/base/byte_queue.h"
#include "gateway/base/bytes.h"
#include "smb/errors.h"
#include "smb/header.h"
#include "smb/inspector.h"
#include "smb/nbss.h"

namespace intransit::smb {

inline std::ostream& operator<<(std::ostream& os, const Verdict& v) {
  if (!v.dropped()) return os << "pass";
  return os << "drop(" << label(v.reason()) << ")";
}
inline std::ostream& operator<<(std::ostream& os, Errc e) {
  return os << label(e);
}
inline std::ostream& operator<<(std::ostream& os, State s) {
  return os << name(s);
}

}  // namespace intransit::smb

namespace smbtest {

using intransit::ByteQueue;
using intransit::Bytes;
using intransit::BytesView;
namespace smb = intransit::smb;

inline std::string vector_path(const std::string& relative) {
  return std::string(INTRANSIT_VECTORS_DIR) + "/smb/" + relative;
}

inline Bytes hex(std::string_view h) {
  Bytes out;
  if (!intransit::from_hex(h, out)) throw std::runtime_error("bad hex: " + std::string(h));
  return out;
}

// Vector is one `Key: value` block of a vector file.
struct Vector {
  std::string file;
  int line = 0;  // line of the block's first key
  std::map<std::string, std::string> fields;

  bool has(const std::string& k) const { return fields.count(k) != 0; }
  const std::string& str(const std::string& k) const {
    auto it = fields.find(k);
    if (it == fields.end()) throw std::runtime_error(file + ": no " + k);
    return it->second;
  }
  Bytes bytes(const std::string& k) const { return hex(str(k)); }
  unsigned long number(const std::string& k, int base = 10) const {
    return std::stoul(str(k), nullptr, base);
  }
};

// load_vectors reads tests/vectors/smb/<name>: blocks separated by blank lines, `#` comments.
inline std::vector<Vector> load_vectors(const std::string& name) {
  std::ifstream in(vector_path(name));
  if (!in) throw std::runtime_error("cannot open " + vector_path(name));
  std::vector<Vector> out;
  Vector cur;
  cur.file = name;
  std::string line;
  int n = 0;
  auto flush = [&] {
    if (!cur.fields.empty()) out.push_back(cur);
    cur.fields.clear();
  };
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      flush();
      continue;
    }
    if (line[0] == '#') continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) throw std::runtime_error(name + ": bad line " + line);
    if (cur.fields.empty()) cur.line = n;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    cur.fields[line.substr(0, colon)] = value;
  }
  flush();
  return out;
}

// Frame is one NBSS frame of a capture, header included.
struct Frame {
  smb::Side side = smb::Side::Client;
  Bytes bytes;
  int line = 0;
};

// load_capture reads tests/vectors/smb/<name>: `C <hex>` / `S <hex>` lines in wire order.
inline std::vector<Frame> load_capture(const std::string& name) {
  std::ifstream in(vector_path(name));
  if (!in) throw std::runtime_error("cannot open " + vector_path(name));
  std::vector<Frame> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.size() < 3 || line[0] == '#') continue;
    if ((line[0] != 'C' && line[0] != 'S') || line[1] != ' ')
      throw std::runtime_error(name + ": bad line");
    out.push_back(Frame{line[0] == 'C' ? smb::Side::Client : smb::Side::Server,
                        hex(std::string_view(line).substr(2)), n});
  }
  return out;
}

// message returns the SMB message of a frame (without the NBSS header).
inline BytesView message(const Frame& f) {
  return BytesView(f.bytes).subspan(4);
}

inline Bytes drain(ByteQueue& q) {
  Bytes out(q.size());
  q.copy_out(out);
  q.consume(q.size());
  return out;
}

// Chunking says how a frame is handed to the inspector.
enum class Chunking { Whole, ByteByByte, Split7 };

// Run is the outcome of feeding a sequence of frames.
struct Run {
  smb::Verdict verdict;
  size_t frames_passed = 0;  // frames fed before the verdict dropped (all when it passed)
  Bytes out[2];              // bytes forwarded from the client [0] and from the server [1]
  Bytes in[2];               // bytes fed from each side
};

// feed_frames feeds `frames` in order and stops at the first drop.
inline Run feed_frames(smb::Inspector& insp, const std::vector<Frame>& frames, Chunking how) {
  Run r;
  ByteQueue q[2];
  for (const Frame& f : frames) {
    const size_t s = static_cast<size_t>(f.side);
    r.in[s].insert(r.in[s].end(), f.bytes.begin(), f.bytes.end());
    BytesView b(f.bytes);
    switch (how) {
      case Chunking::Whole:
        r.verdict = insp.feed(f.side, b, q[s]);
        break;
      case Chunking::ByteByByte:
        for (size_t i = 0; i < b.size() && !r.verdict.dropped(); ++i)
          r.verdict = insp.feed(f.side, b.subspan(i, 1), q[s]);
        break;
      case Chunking::Split7:
        for (size_t i = 0; i < b.size() && !r.verdict.dropped(); i += 7)
          r.verdict = insp.feed(f.side, b.subspan(i, std::min<size_t>(7, b.size() - i)), q[s]);
        break;
    }
    if (r.verdict.dropped()) break;
    ++r.frames_passed;
  }
  r.out[0] = drain(q[0]);
  r.out[1] = drain(q[1]);
  return r;
}

// ---- message builder (for what real peers do not send) --------------------------------------

struct Hdr {
  uint16_t command = 0;
  uint32_t flags = 0;
  uint32_t status = 0;
  uint64_t message_id = 0;
  uint64_t session_id = 0;
  uint32_t next_command = 0;
};

class Builder {
 public:
  Builder() { CBB_init(&cbb_, 256); }
  ~Builder() { CBB_cleanup(&cbb_); }
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;
  Builder& u8(uint8_t v) { return ok(CBB_add_u8(&cbb_, v)); }
  Builder& u16(uint16_t v) { return ok(CBB_add_u16le(&cbb_, v)); }
  Builder& u32(uint32_t v) { return ok(CBB_add_u32le(&cbb_, v)); }
  Builder& u64(uint64_t v) { return ok(CBB_add_u64le(&cbb_, v)); }
  Builder& bytes(BytesView b) { return ok(CBB_add_bytes(&cbb_, b.data(), b.size())); }
  Builder& zeros(size_t n) {
    for (size_t i = 0; i < n; ++i) u8(0);
    return *this;
  }
  Builder& pad8() {
    while (CBB_len(&cbb_) % 8) u8(0);
    return *this;
  }
  size_t size() const { return CBB_len(&cbb_); }
  Builder& header(const Hdr& h) {
    static const uint8_t kId[] = {0xFE, 'S', 'M', 'B'};
    bytes(kId).u16(64).u16(1).u32(h.status).u16(h.command).u16(1).u32(h.flags);
    u32(h.next_command).u64(h.message_id).u32(0xFEFF).u32(0).u64(h.session_id).zeros(16);
    return *this;
  }
  Bytes take() { return Bytes(CBB_data(&cbb_), CBB_data(&cbb_) + CBB_len(&cbb_)); }

 private:
  Builder& ok(int rc) {
    if (rc != 1) throw std::runtime_error("CBB failed");
    return *this;
  }
  CBB cbb_;
};

inline Bytes context(uint16_t type, BytesView data) {
  return Builder().u16(type).u16(static_cast<uint16_t>(data.size())).u32(0).bytes(data).take();
}
inline Bytes encryption_context(const std::vector<uint16_t>& ciphers) {
  Builder d;
  d.u16(static_cast<uint16_t>(ciphers.size()));
  for (uint16_t c : ciphers) d.u16(c);
  return context(0x0002, d.take());
}
inline Bytes preauth_context() {
  Builder d;
  d.u16(1).u16(32).u16(1).zeros(32);
  return context(0x0001, d.take());
}
inline Bytes transport_context(uint32_t flags) {
  return context(0x0006, Builder().u32(flags).take());
}

// negotiate_request builds a NEGOTIATE request ([MS-SMB2] 2.2.3) with contexts appended,
// 8-byte aligned from the header start.
inline Bytes negotiate_request(const std::vector<uint16_t>& dialects, uint32_t caps,
                               const std::vector<Bytes>& contexts) {
  Builder b;
  b.header(Hdr{0x0000, 0, 0, 0, 0, 0});
  const size_t fixed_end = 64 + 36 + 2 * dialects.size();
  const size_t ctx_off = contexts.empty() ? 0 : (fixed_end + 7) & ~size_t{7};
  b.u16(36).u16(static_cast<uint16_t>(dialects.size())).u16(1).u16(0).u32(caps).zeros(16);
  b.u32(static_cast<uint32_t>(ctx_off)).u16(static_cast<uint16_t>(contexts.size())).u16(0);
  for (uint16_t d : dialects) b.u16(d);
  for (const Bytes& c : contexts) b.pad8().bytes(c);
  return b.take();
}

// negotiate_response builds a successful NEGOTIATE response ([MS-SMB2] 2.2.4).
inline Bytes negotiate_response(uint16_t dialect, uint32_t caps,
                                const std::vector<Bytes>& contexts) {
  Builder b;
  b.header(Hdr{0x0000, smb::kFlagServerToRedir, 0, 0, 0, 0});
  const size_t ctx_off = contexts.empty() ? 0 : 64 + 64 + 8;  // after an 8-byte blob
  b.u16(65).u16(1).u16(dialect).u16(static_cast<uint16_t>(contexts.size())).zeros(16).u32(caps);
  b.u32(0x800000).u32(0x800000).u32(0x800000).zeros(16);
  b.u16(128).u16(8).u32(static_cast<uint32_t>(ctx_off));
  b.zeros(8);  // security blob
  for (const Bytes& c : contexts) b.pad8().bytes(c);
  return b.take();
}

inline Bytes session_setup_request(uint64_t sid, uint8_t flags = 0, uint64_t mid = 1) {
  Builder b;
  b.header(Hdr{0x0001, 0, 0, mid, sid, 0});
  b.u16(25).u8(flags).u8(1).u32(0).u32(0).u16(88).u16(8).u64(0).zeros(8);
  return b.take();
}

inline Bytes session_setup_response(uint64_t sid, uint32_t status, uint16_t session_flags,
                                    bool is_signed = true, uint64_t mid = 1) {
  Builder b;
  uint32_t flags = smb::kFlagServerToRedir | (is_signed ? smb::kFlagSigned : 0);
  b.header(Hdr{0x0001, flags, status, mid, sid, 0});
  if (status == smb::kStatusSuccess || status == smb::kStatusMoreProcessingRequired) {
    b.u16(9).u16(session_flags).u16(72).u16(8).zeros(8);
  } else {
    b.u16(9).u8(0).u8(0).u32(0).u8(0);  // ERROR body ([MS-SMB2] 2.2.2)
  }
  return b.take();
}

// plain_request builds a request of `command` with a small body (StructureSize 9).
inline Bytes plain_request(uint16_t command, uint64_t sid, uint64_t mid = 5) {
  Builder b;
  b.header(Hdr{command, 0, 0, mid, sid, 0});
  b.u16(9).zeros(7);
  return b.take();
}

inline Bytes echo(bool response, uint64_t sid) {
  Builder b;
  b.header(Hdr{0x000D, response ? smb::kFlagServerToRedir : 0u, 0, 7, sid, 0});
  b.u16(4).u16(0);
  return b.take();
}

// break_notification builds an unsolicited oplock (body 24) or lease (body 44) break.
inline Bytes break_notification(uint16_t body_size, uint64_t sid,
                                uint32_t flags = smb::kFlagServerToRedir) {
  Builder b;
  b.header(Hdr{0x0012, flags, 0, smb::kUnsolicitedMessageId, sid, 0});
  b.u16(body_size).zeros(body_size - 2);
  return b.take();
}

// transform builds a TRANSFORM message for `sid` with `payload` ciphertext bytes (not real
// ciphertext: the inspector cannot tell).
inline Bytes transform(uint64_t sid, uint32_t payload, uint16_t flags = 1,
                       uint32_t original_size = UINT32_MAX) {
  Builder b;
  static const uint8_t kId[] = {0xFD, 'S', 'M', 'B'};
  b.bytes(kId).zeros(16).zeros(16);
  b.u32(original_size == UINT32_MAX ? payload : original_size).u16(0).u16(flags).u64(sid);
  Bytes out = b.take();
  out.resize(out.size() + payload, 0xA5);
  return out;
}

inline Frame C(BytesView msg) {
  return Frame{smb::Side::Client, smb::nbss_frame(msg), 0};
}
inline Frame S(BytesView msg) {
  return Frame{smb::Side::Server, smb::nbss_frame(msg), 0};
}

}  // namespace smbtest
