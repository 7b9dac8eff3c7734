// intransit: the command line.
//
//   intransit run [--policy FILE] [--state-dir DIR] [--log-level LEVEL]
//   intransit check FILE [--state-dir DIR]
//   intransit version
//
// `run` without --policy serves the embedded default policy (quick start). `check` loads and
// validates a policy the way `run` would, TLS material included, and prints every problem as
// file:line:col: key.path: message.
#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gateway/admin_server.h"
#include "gateway/base/log.h"
#include "gateway/demo_backend.h"
#include "gateway/sas_cli.h"
#include "gateway/snapshot.h"
#include "gateway/uv/handle.h"
#include "gateway/uv/tcp.h"
#include "gateway/version.h"
#include "gateway/worker.h"
#include "metrics/registry.h"

namespace intransit::gateway {
namespace {

constexpr std::string_view kUsage =
    "usage:\n"
    "  intransit run [--policy FILE] [--state-dir DIR] [--log-level debug|info|warn|error]\n"
    "  intransit check FILE [--state-dir DIR]\n"
    "  intransit version\n"
    "  intransit sas sign|verify ...   (intransit sas help)\n";

struct Options {
  std::string command;
  std::string policy;
  std::string state_dir;
  std::string log_level;
};

bool parse_args(int argc, char** argv, Options& o) {
  if (argc < 2) return false;
  o.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (a == "--policy") {
      if (!value(o.policy)) return false;
    } else if (a == "--state-dir") {
      if (!value(o.state_dir)) return false;
    } else if (a == "--log-level") {
      if (!value(o.log_level)) return false;
    } else if (o.command == "check" && o.policy.empty() && !a.starts_with("-")) {
      o.policy = std::string(a);
    } else {
      std::fprintf(stderr, "intransit: unknown argument '%s'\n", argv[i]);
      return false;
    }
  }
  return true;
}

void print_errors(const policy::ConfigErrors& errors) {
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", policy::format(e).c_str());
  std::fprintf(stderr, "intransit: %zu error%s; nothing started\n", errors.size(),
               errors.size() == 1 ? "" : "s");
}

int cmd_check(const Options& o) {
  if (o.policy.empty()) {
    std::fputs(kUsage.data(), stderr);
    return 2;
  }
  auto snap = build_snapshot(o.policy, o.state_dir);
  if (!snap) {
    for (const auto& e : snap.error()) std::fprintf(stderr, "%s\n", policy::format(e).c_str());
    std::fprintf(stderr, "%s: %zu error%s\n", o.policy.c_str(), snap.error().size(),
                 snap.error().size() == 1 ? "" : "s");
    return 1;
  }
  std::printf("%s: ok (%zu listeners, %zu backends, %zu routes)\n", o.policy.c_str(),
              (*snap)->policy->listeners.size(), (*snap)->policy->backends.size(),
              (*snap)->policy->routes.size());
  return 0;
}

// Control runs the main thread's loop: signals, the demo backends, and the workers' end.
class Control {
 public:
  explicit Control(SnapshotPtr snap) : snap_(std::move(snap)) {}

  int run() {
    uv_loop_init(&loop_);
    const auto& pol = *snap_->policy;
    // Bind everything before serving anything: a taken address stops the start cleanly.
    for (const auto& l : pol.listeners) {
      if (auto r = uv::TcpListener::check_free(l.address.host, l.address.port); !r) {
        std::fprintf(stderr, "intransit: listener '%s': %s\n", l.name.c_str(),
                     r.error().message().c_str());
        return shutdown(1);
      }
    }
    unsigned n = pol.workers;
    if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) {
      auto w = std::make_unique<Worker>(static_cast<int>(i), snap_);
      if (auto r = w->bind(); !r) {
        std::fprintf(stderr, "intransit: %s\n", r.error().message().c_str());
        workers_.clear();
        return shutdown(1);
      }
      workers_.push_back(std::move(w));
    }
    if (pol.admin.enabled) {
      auto a = start_admin(&loop_, pol.admin.address, [this] { return !draining_; });
      if (!a) {
        std::fprintf(stderr, "intransit: admin listener %s: %s\n",
                     pol.admin.address.to_string().c_str(), a.error().message().c_str());
        workers_.clear();
        return shutdown(1);
      }
      admin_ = std::move(*a);
    }
    for (const auto& b : pol.backends) {
      if (!b.demo) continue;
      auto d = start_demo_backend(&loop_, b);
      if (!d) {
        std::fprintf(stderr, "intransit: demo backend '%s' on %s: %s\n", b.name.c_str(),
                     b.address.to_string().c_str(), d.error().message().c_str());
        workers_.clear();
        return shutdown(1);
      }
      demos_.push_back(std::move(*d));
    }
    auto a = uv::make_handle<uv_async_t>(uv_async_init, &loop_, [](uv_async_t* h) {
      if (auto* c = static_cast<Control*>(h->data)) c->on_worker_done();
    });
    done_async_ = std::move(*a);
    done_async_.get()->data = this;
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
      auto s = uv::make_handle<uv_signal_t>(uv_signal_init, &loop_);
      s->get()->data = this;
      uv_signal_start(
          s->get(),
          [](uv_signal_t* h, int signum) {
            if (auto* c = static_cast<Control*>(h->data)) c->on_signal(signum);
          },
          sig);
      signals_.push_back(std::move(*s));
    }
    for (auto& w : workers_) {
      w->set_on_done([this] {
        done_.fetch_add(1);
        uv_async_send(done_async_.get());
      });
      w->start();
    }
    for (const auto& l : pol.listeners) {
      log::info("gateway", "listening")
          .kv("listener", l.name)
          .kv("protocol", l.kind == policy::ListenerKind::Https ? "https"
                          : l.kind == policy::ListenerKind::Smb ? "smb"
                                                                 : "http")
          .kv("address", l.address.to_string());
    }
    log::info("gateway", "started")
        .kv("version", kVersion)
        .kv("policy", pol.source)
        .kv("workers", n)
        .kv("state_dir", snap_->state_dir)
        .kv("pid", static_cast<int64_t>(::getpid()));
    uv_run(&loop_, UV_RUN_DEFAULT);
    return shutdown(0);
  }

 private:
  void on_signal(int signum) {
    if (signum == SIGHUP) {
      log::warn("gateway", "sighup_ignored")
          .kv("reason", "policy reload is not available in this version; restart to apply");
      return;
    }
    const bool again = draining_;
    draining_ = true;
    const uint64_t ms = again ? 0 : snap_->policy->limits.drain_timeout_ms;
    log::info("gateway", again ? "stopping_now" : "draining")
        .kv("signal", signum == SIGTERM ? "SIGTERM" : "SIGINT")
        .kv("drain_timeout_ms", ms);
    for (auto& w : workers_) w->post_drain(ms);
  }

  void on_worker_done() {
    // uv_async_send coalesces: one callback may stand for several workers finishing.
    if (done_.load() < workers_.size()) return;
    for (auto& s : signals_) s.close();
    done_async_.close();
    for (auto& d : demos_) d->close();
    if (admin_) admin_->close();
  }

  int shutdown(int rc) {
    for (auto& w : workers_) w->join();
    workers_.clear();
    demos_.clear();
    admin_.reset();
    signals_.clear();
    done_async_.close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
    if (rc == 0) log::info("gateway", "stopped");
    return rc;
  }

  SnapshotPtr snap_;
  uv_loop_t loop_{};
  std::vector<std::unique_ptr<LocalServer>> demos_;
  std::unique_ptr<LocalServer> admin_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<uv::Handle<uv_signal_t>> signals_;
  uv::Handle<uv_async_t> done_async_;
  std::atomic<size_t> done_{0};
  std::atomic<bool> draining_{false};
};

int cmd_run(const Options& o) {
  auto snap = build_snapshot(o.policy, o.state_dir);
  if (!snap) {
    print_errors(snap.error());
    return 1;
  }
  if (o.log_level.empty()) {
    log::Level l;
    if (log::parse_level((*snap)->policy->log_level, l)) log::set_level(l);
  }
  metrics::Registry::global().build_info.Add({{"version", std::string(kVersion)}}).Set(1);
  publish_metrics(**snap);
  Control c(std::move(*snap));
  return c.run();
}

}  // namespace
}  // namespace intransit::gateway

int main(int argc, char** argv) {
  using namespace intransit;
  using namespace intransit::gateway;
  ::signal(SIGPIPE, SIG_IGN);
  if (argc >= 2 && std::string_view(argv[1]) == "sas") return sas_main(argc - 1, argv + 1);
  Options o;
  if (!parse_args(argc, argv, o)) {
    std::fputs(kUsage.data(), stderr);
    return 2;
  }
  if (!o.log_level.empty()) {
    log::Level l;
    if (!log::parse_level(o.log_level, l)) {
      std::fprintf(stderr, "intransit: --log-level must be debug, info, warn or error\n");
      return 2;
    }
    log::set_level(l);
  }
  if (o.command == "version" || o.command == "--version") {
    std::printf("intransit %s\n", kVersion.data());
    return 0;
  }
  if (o.command == "check") return cmd_check(o);
  if (o.command == "run") return cmd_run(o);
  std::fputs(kUsage.data(), stderr);
  return 2;
}
