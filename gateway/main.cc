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
#include <optional>
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
  Control(SnapshotPtr snap, std::string policy_path, std::string state_dir_override)
      : snap_(std::move(snap)),
        policy_path_(std::move(policy_path)),
        state_dir_override_(std::move(state_dir_override)) {}

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
    watch_policy_file();
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
    if (signum == SIGHUP) return request_reload("SIGHUP");
    const bool again = draining_;
    draining_ = true;
    const uint64_t ms = again ? 0 : snap_->policy->limits.drain_timeout_ms;
    log::info("gateway", again ? "stopping_now" : "draining")
        .kv("signal", signum == SIGTERM ? "SIGTERM" : "SIGINT")
        .kv("drain_timeout_ms", ms);
    for (auto& w : workers_) w->post_drain(ms);
  }

  // --- reload ----------------------------------------------------------------------------
  // A reload parses and validates the policy (and reads its certificates and keys) on the
  // thread pool, never on a loop. A policy that fails is reported with file:line:col and
  // counted; the live one keeps serving. One that loads is handed to every worker.
  struct ReloadJob {
    uv_work_t req;
    Control* control;
    std::string path;
    std::string state_dir;
    std::optional<Result<SnapshotPtr, policy::ConfigErrors>> result;
  };

  void request_reload(std::string_view why) {
    if (draining_) return;
    if (reloading_) {
      reload_again_ = true;  // one more after this one: the file changed again meanwhile
      return;
    }
    reloading_ = true;
    log::info("gateway", "reloading").kv("trigger", why).kv("policy", snap_->policy->source);
    auto* job = new ReloadJob{};
    job->req.data = job;
    job->control = this;
    job->path = policy_path_;
    job->state_dir = state_dir_override_;
    const int rc = uv_queue_work(
        &loop_, &job->req,
        [](uv_work_t* w) {
          auto* j = static_cast<ReloadJob*>(w->data);
          j->result.emplace(build_snapshot(j->path, j->state_dir));
        },
        [](uv_work_t* w, int) {
          std::unique_ptr<ReloadJob> j(static_cast<ReloadJob*>(w->data));
          j->control->on_reloaded(*j);
        });
    if (rc < 0) {
      delete job;
      reloading_ = false;
    }
  }

  void on_reloaded(ReloadJob& job) {
    reloading_ = false;
    auto& reloads = metrics::Registry::global().policy_reloads;
    if (!job.result || !*job.result) {
      if (job.result) {
        for (const auto& e : job.result->error()) {
          log::error("policy", "reload_rejected").kv("error", policy::format(e));
        }
      }
      log::error("gateway", "reload_failed")
          .kv("policy", snap_->policy->source)
          .kv("keeps", snap_->policy->sha256);
      reloads.Add({{"result", "failure"}}).Increment();
    } else {
      SnapshotPtr next = **job.result;
      if (auto r = check_new_addresses(*next->policy); !r) {
        log::error("policy", "reload_rejected").kv("error", r.error().message());
        log::error("gateway", "reload_failed").kv("keeps", snap_->policy->sha256);
        reloads.Add({{"result", "failure"}}).Increment();
      } else {
        warn_restart_only(*next->policy);
        for (auto& w : workers_) w->post_snapshot(next);
        snap_ = std::move(next);
        publish_metrics(*snap_);
        log::info("gateway", "reloaded")
            .kv("policy", snap_->policy->source)
            .kv("sha256", snap_->policy->sha256);
      }
    }
    if (reload_again_) {
      reload_again_ = false;
      request_reload("file_change");
    }
  }

  // check_new_addresses refuses a reload whose new listener addresses another process holds.
  Result<void> check_new_addresses(const policy::Policy& next) {
    for (const auto& l : next.listeners) {
      bool known = false;
      for (const auto& old : snap_->policy->listeners) {
        known = known || old.address.to_string() == l.address.to_string();
      }
      if (known) continue;
      if (auto r = uv::TcpListener::check_free(l.address.host, l.address.port); !r) {
        return fail("address_in_use", "listener '" + l.name + "': " + r.error().message());
      }
    }
    return {};
  }

  // The admin listener and the demo backends live on this loop and are not re-bound.
  void warn_restart_only(const policy::Policy& next) {
    const auto& cur = *snap_->policy;
    if (next.admin.enabled != cur.admin.enabled ||
        next.admin.address.to_string() != cur.admin.address.to_string()) {
      log::warn("gateway", "restart_needed").kv("setting", "admin");
    }
    for (const auto& b : next.backends) {
      const auto* old = cur.find_backend(b.name);
      if (b.demo && (!old || !old->demo || old->address.to_string() != b.address.to_string())) {
        log::warn("gateway", "restart_needed").kv("setting", "backends[" + b.name + "].demo");
      }
    }
  }

  // watch_policy_file reloads when the policy file changes. The directory is watched, not
  // the file: editors and Kubernetes ConfigMaps replace files by renaming over them.
  void watch_policy_file() {
    if (policy_path_.empty()) return;  // the embedded policy: SIGHUP only
    const auto slash = policy_path_.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : policy_path_.substr(0, slash + 1);
    policy_name_ = slash == std::string::npos ? policy_path_ : policy_path_.substr(slash + 1);
    auto ev = uv::make_handle<uv_fs_event_t>(uv_fs_event_init, &loop_);
    auto t = uv::Timer::make(&loop_);
    if (!ev || !t) return;
    watch_ = std::move(*ev);
    debounce_ = std::move(*t);
    watch_.get()->data = this;
    const int rc = uv_fs_event_start(
        watch_.get(),
        [](uv_fs_event_t* h, const char* name, int, int status) {
          auto* c = static_cast<Control*>(h->data);
          if (!c || status < 0) return;
          // ConfigMaps swap a "..data" symlink; a direct edit names the file itself.
          const std::string_view n = name ? name : "";
          if (n == c->policy_name_ || n.starts_with("..")) {
            c->debounce_.arm<Control, &Control::on_file_changed>(c, 300);
          }
        },
        dir.c_str(), 0);
    if (rc < 0) {
      log::warn("gateway", "policy_watch_unavailable").kv("error", uv_strerror(rc));
      watch_.close();
    }
  }

  void on_file_changed() { request_reload("file_change"); }

  void on_worker_done() {
    // uv_async_send coalesces: one callback may stand for several workers finishing.
    if (done_.load() < workers_.size()) return;
    for (auto& s : signals_) s.close();
    watch_.close();
    debounce_.close();
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
    watch_.close();
    debounce_.close();
    done_async_.close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
    if (rc == 0) log::info("gateway", "stopped");
    return rc;
  }

  SnapshotPtr snap_;
  std::string policy_path_;
  std::string state_dir_override_;
  std::string policy_name_;
  bool reloading_ = false;
  bool reload_again_ = false;
  uv::Handle<uv_fs_event_t> watch_;
  uv::Timer debounce_;
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
  Control c(std::move(*snap), o.policy, o.state_dir);
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
