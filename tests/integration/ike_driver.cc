// intransit-ike-driver: a small test driver that runs the IKE control plane (ike::Manager +
// IkeEndpoint on a uv loop) with one tunnel from the command line, for the strongSwan
// interop test (ipsec_strongswan.sh) until `intransit run` wires the IPsec door. It prints
// one line per event on stdout (never key material):
//
//   READY 10.231.0.1 500/4500
//   MSG > IKE_AUTH request 1 [ IDi AUTH SA TSi TSr ]        (every message sent/processed)
//   CHILD_UP spi_in=0x... spi_out=0x... suite=aes256gcm16 encap=1 ts=10.231.1.0/24=10.231.2.0/24
//   CHILD_DOWN spi_in=0x... spi_out=0x...
//   IKE_SA id=2 state=established initiator=1 spi_i=... spi_r=... suite=... peer=...
//   SUMMARY ike_established=.. child_installed=.. child_rekeys=.. ike_rekeys=.. ...
//
// It exits 0 at --duration (or SIGTERM/SIGINT, after deleting its SAs) when at least
// --expect-children CHILD SAs were installed, 1 otherwise.
#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/base/log.h"
#include "gateway/base/text.h"
#include "ipsec/config.h"
#include "ipsec/ike/manager.h"
#include "ipsec/ike_endpoint.h"

using namespace intransit;
using namespace intransit::ipsec;

namespace {

void usage() {
  std::fputs(
      "usage: intransit-ike-driver --local IP --remote IP --local-ts CIDR[,CIDR] "
      "--remote-ts CIDR[,CIDR]\n"
      "         --local-id ID --remote-id ID (--psk 0xHEX | --cert PEM --key PEM --ca PEM)\n"
      "         [--ike PROPOSAL[,..]] [--esp PROPOSAL[,..]] [--initiate] [--child-rekey S]\n"
      "         [--ike-rekey S] [--over S] [--dpd S] [--fragment-size N] [--no-fragmentation]\n"
      "         [--no-encap] [--duration S] [--terminate-at S] [--expect-children N]\n"
      "         [--log-level debug|info|warn|error]\n",
      stderr);
  std::exit(2);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << path << "\n";
    std::exit(2);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}
std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

class PrintSink final : public ChildSaSink {
 public:
  void install(const ChildSaParams& sa) override {
    std::string ts;
    for (const auto& t : sa.local_ts) ts += t.to_string() + " ";
    ts += "===";
    for (const auto& t : sa.remote_ts) ts += " " + t.to_string();
    std::cout << "CHILD_UP spi_in=" << hex32(sa.spi_in) << " spi_out=" << hex32(sa.spi_out)
              << " suite=" << name(sa.encr) << (sa.integ != IntegAlg::None ? "/" : "")
              << (sa.integ != IntegAlg::None ? name(sa.integ) : "") << " esn=" << sa.esn
              << " encap=" << sa.udp_encap << " rekeyed_from=" << hex32(sa.rekeyed_from)
              << " peer=" << sa.remote.to_string() << " ts=\"" << ts << "\"" << std::endl;
    ++installs;
  }
  void remove(uint32_t spi_in, uint32_t spi_out) override {
    std::cout << "CHILD_DOWN spi_in=" << hex32(spi_in) << " spi_out=" << hex32(spi_out)
              << std::endl;
  }
  size_t installs = 0;
};

struct Driver {
  ike::ManagerOptions opts;
  std::vector<std::string> trace;
  SystemRng rng;
  ike::SystemWallClock clock;
  PrintSink sink;
  std::unique_ptr<ike::Manager> mgr;
  std::unique_ptr<IkeEndpoint> ep;
  std::string tunnel;
  std::map<uint64_t, std::string> last_state;
  bool stopping = false;
  int64_t duration_s = 0;
  int64_t terminate_at_s = -1;
  size_t expect_children = 1;
  uint64_t started_ns = 0;
  uv_timer_t tick;
  uv_signal_t sigterm, sigint;
  uv_loop_t* loop = nullptr;

  void drain() {
    for (const auto& l : trace) std::cout << "MSG " << l << "\n";
    trace.clear();
    const auto st = mgr->status();
    std::map<uint64_t, std::string> now;
    for (const auto& s : st.ike_sas) {
      std::ostringstream o;
      o << "IKE_SA id=" << s.id << " state=" << ike::name(s.state) << " initiator=" << s.initiator
        << " spi_i=" << hex64(s.spi_i) << " spi_r=" << hex64(s.spi_r) << " suite=" << s.suite
        << " peer=" << s.remote.to_string() << " peer_id=" << s.peer_id << " encap=" << s.udp_encap
        << " frag=" << s.fragmentation << " children=" << s.children.size();
      now[s.id] = o.str();
      if (last_state[s.id] != now[s.id]) std::cout << now[s.id] << "\n";
    }
    for (const auto& [id, line] : last_state) {
      if (!now.count(id) && !line.empty()) std::cout << "IKE_SA id=" << id << " state=gone\n";
    }
    last_state = std::move(now);
    std::cout.flush();
  }

  void summary() {
    const auto& c = mgr->counters();
    uint64_t auth = 0, drops = 0;
    for (auto v : c.auth_failures) auth += v;
    for (auto v : c.dropped) drops += v;
    std::cout << "SUMMARY ike_established=" << c.ike_sas_established
              << " child_installed=" << c.child_sas_installed << " child_rekeys=" << c.child_rekeys
              << " ike_rekeys=" << c.ike_rekeys << " retransmits=" << c.retransmits
              << " fragments_sent=" << c.fragments_sent
              << " fragments_received=" << c.fragments_received << " auth_failures=" << auth
              << " dropped=" << drops << " cookies=" << c.cookies_sent
              << " invalid_ke=" << c.invalid_ke_sent << " live_children=" << mgr->status().child_sas
              << std::endl;
  }

  void stop() {
    if (stopping) return;
    stopping = true;
    mgr->terminate(tunnel, IkeEndpoint::now());
    ep->kick();
    drain();
    // Give the Delete a moment to be answered, then leave.
    uv_timer_start(
        &tick,
        [](uv_timer_t* t) {
          auto* d = static_cast<Driver*>(t->data);
          d->drain();
          d->summary();
          d->ep->close();
          uv_close(reinterpret_cast<uv_handle_t*>(&d->tick), nullptr);
          uv_close(reinterpret_cast<uv_handle_t*>(&d->sigterm), nullptr);
          uv_close(reinterpret_cast<uv_handle_t*>(&d->sigint), nullptr);
        },
        1500, 0);
  }
};

}  // namespace

int main(int argc, char** argv) {
  auto cfg = std::make_shared<TunnelConfig>();
  cfg->name = "interop";
  cfg->ike_proposals = {*parse_ike_proposal("aes256gcm16-prfsha384-ecp384"),
                        *parse_ike_proposal("aes256gcm16-prfsha256-x25519")};
  cfg->esp_proposals = {*parse_esp_proposal("aes256gcm16-ecp384"),
                        *parse_esp_proposal("aes256gcm16-x25519")};
  Driver d;
  bool initiate = false;
  std::string cert, key, ca;
  d.duration_s = 60;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    auto seconds = [&]() {
      auto v = parse_u64(next());
      if (!v) usage();
      return std::chrono::seconds(static_cast<int64_t>(*v));
    };
    if (a == "--local") {
      auto ip = IpAddress::parse(next());
      if (!ip) usage();
      cfg->local_address = *ip;
    } else if (a == "--remote") {
      auto ip = IpAddress::parse(next());
      if (!ip) usage();
      cfg->remote_address = *ip;
    } else if (a == "--local-ts" || a == "--remote-ts") {
      auto& list = a == "--local-ts" ? cfg->local_ts : cfg->remote_ts;
      for (const auto& s : split(next(), ',')) {
        auto sub = Subnet::parse(s);
        if (!sub) usage();
        list.push_back(TrafficSelector::from_subnet(*sub));
      }
    } else if (a == "--local-id" || a == "--remote-id") {
      auto id = Identity::parse(next());
      if (!id) usage();
      (a == "--local-id" ? cfg->local_id : cfg->remote_id) = *id;
    } else if (a == "--psk") {
      std::string h = next();
      if (h.rfind("0x", 0) == 0) h = h.substr(2);
      Bytes k;
      if (!from_hex(h, k)) usage();
      cfg->psk = SecretBytes(k);
      OPENSSL_cleanse(k.data(), k.size());
    } else if (a == "--cert") {
      cert = next();
    } else if (a == "--key") {
      key = next();
    } else if (a == "--ca") {
      ca = next();
    } else if (a == "--ike" || a == "--esp") {
      const bool ike = a == "--ike";
      if (ike)
        cfg->ike_proposals.clear();
      else
        cfg->esp_proposals.clear();
      for (const auto& s : split(next(), ',')) {
        if (ike) {
          auto p = parse_ike_proposal(s);
          if (!p) {
            std::cerr << p.error().message() << "\n";
            return 2;
          }
          cfg->ike_proposals.push_back(*p);
        } else {
          auto p = parse_esp_proposal(s);
          if (!p) {
            std::cerr << p.error().message() << "\n";
            return 2;
          }
          cfg->esp_proposals.push_back(*p);
        }
      }
    } else if (a == "--initiate") {
      initiate = true;
    } else if (a == "--child-rekey") {
      cfg->child_rekey_time = seconds();
    } else if (a == "--ike-rekey") {
      cfg->ike_rekey_time = seconds();
    } else if (a == "--over") {
      cfg->child_over_time = cfg->ike_over_time = seconds();
    } else if (a == "--dpd") {
      cfg->dpd_delay = seconds();
    } else if (a == "--fragment-size") {
      auto v = parse_u64(next());
      if (!v) usage();
      cfg->fragment_size = *v;
    } else if (a == "--no-fragmentation") {
      cfg->fragmentation = false;
    } else if (a == "--no-encap") {
      cfg->force_encap = false;
    } else if (a == "--duration") {
      d.duration_s = seconds().count();
    } else if (a == "--terminate-at") {
      d.terminate_at_s = seconds().count();
    } else if (a == "--expect-children") {
      auto v = parse_u64(next());
      if (!v) usage();
      d.expect_children = *v;
    } else if (a == "--log-level") {
      log::Level l;
      if (!log::parse_level(next(), l)) usage();
      log::set_level(l);
    } else {
      usage();
    }
  }
  if (!cert.empty() || !key.empty() || !ca.empty()) {
    auto certs = parse_pem_certificates(read_file(cert));
    auto k = parse_pem_private_key(read_file(key));
    auto cas = parse_pem_certificates(read_file(ca));
    if (!certs || !k || !cas) {
      std::cerr << "bad credentials\n";
      return 2;
    }
    cfg->certificates = std::move(*certs);
    cfg->private_key = std::move(*k);
    cfg->ca_certificates = std::move(*cas);
    cfg->local_auth = cfg->remote_auth = AuthKind::PublicKey;
  }
  d.opts.trace = &d.trace;
  d.tunnel = cfg->name;
  d.mgr = std::make_unique<ike::Manager>(d.opts, d.rng, d.clock, &d.sink);
  if (auto r = d.mgr->add_tunnel(cfg); !r) {
    std::cerr << r.error().message() << "\n";
    return 2;
  }
  d.loop = uv_default_loop();
  IkeEndpoint::Options eo;
  eo.address = cfg->local_address;
  auto ep = IkeEndpoint::start(d.loop, *d.mgr, eo);
  if (!ep) {
    std::cerr << ep.error().message() << "\n";
    return 2;
  }
  d.ep = std::move(*ep);
  std::cout << "READY " << cfg->local_address.to_string() << " 500/4500" << std::endl;
  d.started_ns = uv_hrtime();
  if (initiate) {
    if (auto r = d.mgr->initiate(d.tunnel, IkeEndpoint::now()); !r) {
      std::cerr << r.error().message() << "\n";
      return 2;
    }
    d.ep->kick();
  }
  uv_timer_init(d.loop, &d.tick);
  d.tick.data = &d;
  uv_timer_start(
      &d.tick,
      [](uv_timer_t* t) {
        auto* d = static_cast<Driver*>(t->data);
        d->drain();
        const int64_t elapsed = static_cast<int64_t>((uv_hrtime() - d->started_ns) / 1000000000);
        if (d->terminate_at_s >= 0 && elapsed >= d->terminate_at_s) {
          d->terminate_at_s = -1;
          d->mgr->terminate(d->tunnel, IkeEndpoint::now());
          d->ep->kick();
        }
        if (elapsed >= d->duration_s) d->stop();
      },
      100, 100);
  for (uv_signal_t* s : {&d.sigterm, &d.sigint}) {
    uv_signal_init(d.loop, s);
    s->data = &d;
    uv_signal_start(
        s, [](uv_signal_t* h, int) { static_cast<Driver*>(h->data)->stop(); },
        s == &d.sigterm ? SIGTERM : SIGINT);
  }
  uv_run(d.loop, UV_RUN_DEFAULT);
  d.ep.reset();
  uv_run(d.loop, UV_RUN_DEFAULT);
  const bool ok = d.sink.installs >= d.expect_children;
  std::cout << (ok ? "RESULT ok" : "RESULT failed") << " children_installed=" << d.sink.installs
            << std::endl;
  return ok ? 0 : 1;
}
