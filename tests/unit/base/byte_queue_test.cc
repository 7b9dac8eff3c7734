#include "gateway/base/byte_queue.h"

#include <catch2/catch.hpp>

#include <numeric>
#include <string>

using intransit::BytesView;
using intransit::ByteQueue;

namespace {
std::string drain_all(ByteQueue& q) {
  std::string out;
  while (!q.empty()) {
    const BytesView v = q.front();
    out.append(reinterpret_cast<const char*>(v.data()), v.size());
    q.consume(v.size());
  }
  return out;
}
}  // namespace

TEST_CASE("base: ByteQueue keeps bytes in order across chunks", "[base][byte_queue]") {
  ByteQueue q;
  std::string want;
  for (int i = 0; i < 20000; ++i) {
    const std::string piece = std::to_string(i) + ",";
    want += piece;
    q.append(intransit::as_bytes(piece));
  }
  REQUIRE(q.size() == want.size());
  REQUIRE(want.size() > 2 * ByteQueue::kChunkBytes);
  std::string copy(want.size(), '\0');
  REQUIRE(q.copy_out({reinterpret_cast<uint8_t*>(copy.data()), copy.size()}) == want.size());
  CHECK(copy == want);
  CHECK(drain_all(q) == want);
  CHECK(q.empty());
}

TEST_CASE("base: ByteQueue peek gives a scatter list and views survive appends",
          "[base][byte_queue]") {
  ByteQueue q;
  std::string big(3 * ByteQueue::kChunkBytes + 17, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  q.append(intransit::as_bytes(big));
  BytesView views[8];
  const size_t n = q.peek(views);
  CHECK(n == 4);
  const uint8_t* first = views[0].data();
  q.append(intransit::as_bytes(std::string(100000, 'z')));  // must not move queued bytes
  CHECK(q.front().data() == first);
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) total += views[i].size();
  CHECK(total == big.size());
}

TEST_CASE("base: ByteQueue prepare/commit and partial consume", "[base][byte_queue]") {
  ByteQueue q;
  auto room = q.prepare();
  REQUIRE(!room.empty());
  std::iota(room.begin(), room.begin() + 10, uint8_t{0});
  q.commit(10);
  q.commit(0);  // committing nothing is allowed
  CHECK(q.size() == 10);
  q.consume(3);
  CHECK(q.front().size() == 7);
  CHECK(q.front()[0] == 3);
  q.consume(7);
  CHECK(q.empty());
  q.append(intransit::as_bytes("abc"));
  CHECK(drain_all(q) == "abc");
}

TEST_CASE("base: ByteQueue moves hand over their chunks", "[base][byte_queue]") {
  ByteQueue a;
  a.append(intransit::as_bytes("hello"));
  ByteQueue b = std::move(a);
  CHECK(b.size() == 5);
  std::swap(a, b);
  CHECK(a.size() == 5);
  CHECK(drain_all(a) == "hello");
}
