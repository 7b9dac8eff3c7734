#include "gateway/http1/body_reader.h"

#include <algorithm>

namespace intransit::http1 {

std::string_view name(BodyKind k) {
  switch (k) {
    case BodyKind::None:
      return "none";
    case BodyKind::Length:
      return "length";
    case BodyKind::Chunked:
      return "chunked";
    case BodyKind::UntilClose:
      return "until_close";
  }
  return "none";
}

BodyFraming request_framing(const http::RequestHead& head) {
  if (head.chunked) return BodyFraming::chunked();
  if (head.content_length) return BodyFraming::of_length(*head.content_length);
  return BodyFraming::none();
}

BodyFraming response_framing(const http::ResponseHead& head, std::string_view request_method) {
  if (request_method == "HEAD") return BodyFraming::none();
  if (head.status < 200 || head.status == 204 || head.status == 304) return BodyFraming::none();
  if (head.chunked) return BodyFraming::chunked();
  if (head.content_length) return BodyFraming::of_length(*head.content_length);
  return BodyFraming::until_close();
}

BodyReader::BodyReader(BodyFraming framing, ChunkedLimits limits)
    : framing_(framing), remaining_(framing.length), chunked_(limits) {
  if (framing_.kind == BodyKind::None || (framing_.kind == BodyKind::Length && remaining_ == 0)) {
    done_ = true;
  }
}

BodyStep BodyReader::feed(BytesView in) {
  if (error_) return BodyStep{0, {}, false, error_};
  if (done_) return BodyStep{0, {}, true, std::nullopt};
  BodyStep s;
  switch (framing_.kind) {
    case BodyKind::None:
      break;  // done_ was set by the constructor
    case BodyKind::Length: {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size()));
      s.data = in.first(n);
      s.consumed = n;
      remaining_ -= n;
      s.done = remaining_ == 0;
      break;
    }
    case BodyKind::Chunked:
      s = chunked_.feed(in);
      break;
    case BodyKind::UntilClose:
      s.data = in;
      s.consumed = in.size();
      break;
  }
  if (s.error) {
    error_ = s.error;
    return s;
  }
  body_bytes_ += s.data.size();
  done_ = s.done;
  return s;
}

BodyStep BodyReader::finish() {
  if (error_) return BodyStep{0, {}, false, error_};
  if (done_ || framing_.kind == BodyKind::UntilClose) {
    done_ = true;
    return BodyStep{0, {}, true, std::nullopt};
  }
  error_ = Errc::BodyTruncated;
  return BodyStep{0, {}, false, error_};
}

}  // namespace intransit::http1
