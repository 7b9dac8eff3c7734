#include "gateway/http/request_head.h"

namespace intransit::http {

std::string_view name(Version v) {
  switch (v) {
    case Version::Http10: return "HTTP/1.0";
    case Version::Http11: return "HTTP/1.1";
    case Version::Http2: return "HTTP/2";
  }
  return "HTTP/1.1";
}

const Field* find(const Fields& fields, std::string_view lname) {
  for (const auto& f : fields) {
    if (f.name == lname) return &f;
  }
  return nullptr;
}

std::string_view RequestHead::host() const {
  std::string_view a = authority;
  if (!a.empty() && a.front() == '[') {  // IPv6 literal
    const auto close = a.find(']');
    return close == std::string_view::npos ? a : a.substr(0, close + 1);
  }
  const auto colon = a.rfind(':');
  return colon == std::string_view::npos ? a : a.substr(0, colon);
}

std::string RequestHead::target() const {
  if (!has_query) return path;
  std::string t;
  t.reserve(path.size() + 1 + query.size());
  t.append(path).append("?").append(query);
  return t;
}

std::string_view status_reason(uint16_t status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

}  // namespace intransit::http
