// intransit-smb-relay-test: a test helper that runs one smb::Relay on its own loop, so the SMB
// door can be checked end to end against real Samba before `intransit run` serves
// `protocol: smb` listeners. Not installed; built with the tests.
//
//   intransit-smb-relay-test --listen H:P --upstream H:P [--strict] [--ciphers A,B,...]
//       [--log-level debug|info|warn|error] [--metrics FILE] [--max-buffered BYTES]
//       [--setup-timeout-ms N] [--idle-timeout-ms N] [--max-connections N]
//
// SIGTERM or SIGINT closes every connection and exits 0; with --metrics, the Prometheus
// exposition is written to FILE first. "--upstream" is the SMB server (the relay's backend).
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/base/log.h"
#include "gateway/base/text.h"
#include "metrics/registry.h"
#include "smb/config.h"
#include "smb/relay.h"

using namespace intransit;

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "intransit-smb-relay-test: %s\n"
               "usage: intransit-smb-relay-test --listen H:P --upstream H:P [--strict]\n"
               "       [--ciphers AES-128-GCM,...] [--log-level L] [--metrics FILE]\n"
               "       [--max-buffered BYTES] [--setup-timeout-ms N] [--idle-timeout-ms N]\n"
               "       [--max-connections N]\n",
               why);
  return 2;
}

// split_host_port accepts "127.0.0.1:445" and "[::1]:445".
bool split_host_port(std::string_view s, std::string& host, uint16_t& port) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view h = s.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const auto p = parse_u64(s.substr(colon + 1));
  if (h.empty() || !p || *p > 65535) return false;
  host = std::string(h);
  port = static_cast<uint16_t>(*p);
  return true;
}

bool parse_u32(std::string_view s, uint32_t& out) {
  const auto v = parse_u64(s);
  if (!v || *v > UINT32_MAX) return false;
  out = static_cast<uint32_t>(*v);
  return true;
}

struct Stopper {
  std::unique_ptr<smb::Relay>* relay = nullptr;
  uv_signal_t term{};
  uv_signal_t intr{};
  std::string metrics_file;
};

void on_signal(uv_signal_t* s, int signum) {
  auto* st = static_cast<Stopper*>(s->data);
  log::info("smb", "stopping").kv("signal", signum);
  if (!st->metrics_file.empty()) {
    std::ofstream(st->metrics_file) << metrics::Registry::global().serialize();
  }
  st->relay->reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&st->term), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&st->intr), nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  smb::RelayConfig cfg;
  cfg.listener = "smb-test";
  Stopper stop;
  bool have_listen = false, have_backend = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> std::string_view { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--listen") {
      if (!split_host_port(value(), cfg.listen_host, cfg.listen_port)) return usage("bad --listen");
      have_listen = true;
    } else if (a == "--upstream") {
      if (!split_host_port(value(), cfg.backend_host, cfg.backend_port))
        return usage("bad --upstream");
      have_backend = true;
    } else if (a == "--strict") {
      cfg.inspector.mode = smb::Mode::Strict;
    } else if (a == "--ciphers") {
      cfg.inspector.allowed_ciphers = smb::CipherSet();
      std::string_view list = value();
      while (!list.empty()) {
        const auto comma = list.find(',');
        const auto name = list.substr(0, comma);
        const auto c = smb::parse_cipher(name);
        if (!c) return usage("unknown cipher in --ciphers");
        cfg.inspector.allowed_ciphers.add(*c);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      }
    } else if (a == "--log-level") {
      log::Level l;
      if (!log::parse_level(value(), l)) return usage("bad --log-level");
      log::set_level(l);
    } else if (a == "--metrics") {
      stop.metrics_file = std::string(value());
    } else if (a == "--max-buffered") {
      if (!parse_u32(value(), cfg.max_buffered_bytes)) return usage("bad --max-buffered");
    } else if (a == "--setup-timeout-ms") {
      if (!parse_u32(value(), cfg.setup_timeout_ms)) return usage("bad --setup-timeout-ms");
    } else if (a == "--idle-timeout-ms") {
      if (!parse_u32(value(), cfg.idle_timeout_ms)) return usage("bad --idle-timeout-ms");
    } else if (a == "--max-connections") {
      if (!parse_u32(value(), cfg.max_connections)) return usage("bad --max-connections");
    } else {
      return usage("unknown argument");
    }
  }
  if (!have_listen || !have_backend) return usage("--listen and --upstream are required");

  uv_loop_t loop;
  uv_loop_init(&loop);
  auto relay = smb::Relay::start(&loop, cfg);
  if (!relay) {
    std::fprintf(stderr, "intransit-smb-relay-test: %s\n", relay.error().message().c_str());
    uv_loop_close(&loop);
    return 1;
  }
  std::unique_ptr<smb::Relay> r = std::move(*relay);
  stop.relay = &r;
  for (auto [h, sig] : {std::pair{&stop.term, SIGTERM}, std::pair{&stop.intr, SIGINT}}) {
    uv_signal_init(&loop, h);
    h->data = &stop;
    uv_signal_start(h, on_signal, sig);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  r.reset();
  uv_run(&loop, UV_RUN_DEFAULT);  // lingering streams finish
  const int rc = uv_loop_close(&loop);
  return rc == 0 ? 0 : 1;
}
