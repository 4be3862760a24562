#include "dispatch.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <unordered_map>

#include "identities.h"
#include "measure.h"
#include "tether/pki/tls.h"
#include "tether/store/database.h"
#include "tether/store/identities.h"
#include "tether/store/migrations.h"
#include "tether/store/operations.h"
#include "tether/store/runners.h"
#include "tether/store/server_settings.h"
#include "tunnel_hub.h"
#include "tunnel_listener.h"

extern char** environ;

namespace tether::bench {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Starts `args` with stdout and stderr appended to `log`.
pid_t spawn(const std::vector<std::string>& args, const std::filesystem::path& log) {
    std::vector<char*> argv;
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) die("cannot start " + args[0]);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
}

template <typename T>
T must(Result<T> result, const std::string& what) {
    if (!result) die(what + ": " + result.error().message);
    return std::move(result).value();
}

// One batch of identical operations with a fixed number in flight.
struct Run {
    std::string type;
    std::string params;
    std::int64_t timeout_ms = 60'000;
    bool wait_for_runner = false;
    std::size_t to_submit = 0;
    std::size_t outstanding = 0;
    std::unordered_map<std::int64_t, Clock::time_point> started;
    std::vector<double> latencies_us;
    std::size_t failures = 0;
    std::string first_failure;
};

class Bench {
public:
    Bench(const DispatchOptions& options, Identities identities, store::Database database)
        : options_(options),
          identities_(std::move(identities)),
          database_(std::move(database)),
          hub_(io_, database_, hub_settings()),
          listener_(io_, tls(), hub_),
          wake_(io_) {}

    void run() {
        hub_.start();
        HostPort port = must(listener_.listen({"127.0.0.1", 0}), "cannot listen for tunnels");
        org_id_ = must(store::find_org(database_, identities_.runner.file.org), "org").id;
        runner_id_ = must(store::find_runner(database_, org_id_, identities_.runner.file.runner), "runner").id;
        runner_ = spawn({options_.tether, "runner", "--credentials", options_.credentials.string(),
                         "--tunnel-endpoint", port.to_string(), "--log-format", "json"},
                        options_.runner_log);
        std::exception_ptr failure;
        asio::co_spawn(io_, measure(), [&](std::exception_ptr error) {
            failure = error;
            if (error) io_.stop();
        });
        // Returns once the tunnel, the listener and the hub's timers have
        // all ended: nothing is left pending when the hub goes away.
        io_.run();
        if (failure) std::rethrow_exception(failure);
    }

private:
    server::HubSettings hub_settings() {
        server::HubSettings settings;
        settings.server_instance = "bench";
        settings.trust_domain = must(store::get_setting(database_, "trust_domain"), "trust domain");
        settings.on_finished = [this](std::int64_t id, store::OperationStatus status) { finished(id, status); };
        return settings;
    }

    std::shared_ptr<asio::ssl::context> tls() {
        auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
        auto configured = pki::configure_server_tls(context->native_handle(), identities_.server_certificate,
                                                    identities_.server_key, &identities_.ca);
        if (!configured) die(configured.error().message);
        return context;
    }

    asio::awaitable<void> measure();
    asio::awaitable<Run> batch(std::string type, std::string params, std::size_t in_flight, std::size_t count,
                               std::int64_t timeout_ms, bool wait_for_runner = false);
    asio::awaitable<void> stop_runner();
    void submit();
    void finished(std::int64_t id, store::OperationStatus status);

    const DispatchOptions& options_;
    Identities identities_;
    store::Database database_;
    asio::io_context io_;
    server::TunnelHub hub_;
    server::TunnelListener listener_;
    asio::steady_timer wake_;
    std::int64_t org_id_ = 0;
    std::int64_t runner_id_ = 0;
    pid_t runner_ = -1;
    Run* run_ = nullptr;
};

asio::awaitable<Run> Bench::batch(std::string type, std::string params, std::size_t in_flight, std::size_t count,
                                  std::int64_t timeout_ms, bool wait_for_runner) {
    Run run;
    run.type = std::move(type);
    run.params = std::move(params);
    run.timeout_ms = timeout_ms;
    run.wait_for_runner = wait_for_runner;
    run.to_submit = count;
    run.latencies_us.reserve(count);
    run_ = &run;
    for (std::size_t index = 0; index < std::min(in_flight, count); ++index) submit();
    boost::system::error_code ec;
    wake_.expires_at(Clock::time_point::max());
    if (run.outstanding > 0 || run.to_submit > 0) co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    run_ = nullptr;
    co_return run;
}

void Bench::submit() {
    Run& run = *run_;
    std::int64_t now = now_ms();
    store::NewOperation request{org_id_, runner_id_, run.type, run.params, std::nullopt, std::nullopt,
                                "service-account:bench", now, now + run.timeout_ms};
    auto started = Clock::now();
    auto submitted = must(store::submit_operation(database_, request), "cannot submit");
    run.started.emplace(submitted.operation.id, started);
    ++run.outstanding;
    --run.to_submit;
    hub_.operation_submitted(submitted.operation, run.wait_for_runner);
}

void Bench::finished(std::int64_t id, store::OperationStatus status) {
    if (run_ == nullptr) return;
    Run& run = *run_;
    auto started = run.started.find(id);
    if (started == run.started.end()) return;
    run.latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - started->second).count());
    run.started.erase(started);
    if (status != store::OperationStatus::succeeded && run.failures++ == 0) {
        auto operation = store::find_operation_by_id(database_, id);
        run.first_failure = operation ? operation.value().error_code.value_or("?") + ": " +
                                            operation.value().error_message.value_or("")
                                      : std::string(store::to_string(status));
    }
    --run.outstanding;
    // Posted, as an API call would arrive: after the hub is done with this answer.
    if (run.to_submit > 0) {
        asio::post(io_, [this] {
            if (run_ != nullptr && run_->to_submit > 0) submit();
        });
    } else if (run.outstanding == 0) {
        wake_.cancel();
    }
}

asio::awaitable<void> Bench::measure() {
    // Params of payload_bytes as JSON text (or the least there can be).
    std::size_t bare = json{{"payload", ""}, {"n", 1234567}}.dump().size();
    std::string padding(options_.payload_bytes > bare ? options_.payload_bytes - bare : 0, 'x');
    std::string params = json{{"payload", padding}, {"n", 1234567}}.dump();
    auto check = [](const Run& run) {
        if (run.failures > 0) die(std::to_string(run.failures) + " " + run.type + " operations failed: " + run.first_failure);
    };
    // The first operation waits for the runner's tunnel.
    check(co_await batch("system.echo", params, 1, 1, 30'000, true));
    long rss_connected = rss_kib(runner_);

    for (std::size_t in_flight : options_.in_flight) {
        check(co_await batch("system.echo", params, in_flight, options_.count / 10, 60'000));  // warm-up
        std::vector<double> rates, p50s, p99s, server_cpu, runner_cpu;
        for (int repetition = 0; repetition < options_.repeat; ++repetition) {
            double server_start = process_cpu_seconds(), runner_start = cpu_seconds(runner_);
            auto start = Clock::now();
            Run run = co_await batch("system.echo", params, in_flight, options_.count, 60'000);
            check(run);
            rates.push_back(static_cast<double>(options_.count) / seconds_since(start));
            auto per_operation_us = [&](double seconds) { return seconds * 1e6 / static_cast<double>(options_.count); };
            server_cpu.push_back(per_operation_us(process_cpu_seconds() - server_start));
            runner_cpu.push_back(per_operation_us(cpu_seconds(runner_) - runner_start));
            Percentiles latency = percentiles(std::move(run.latencies_us));
            p50s.push_back(latency.p50_us);
            p99s.push_back(latency.p99_us);
        }
        emit("dispatch_echo", {{"storage", options_.storage}, {"in_flight", in_flight}, {"count", options_.count},
                               {"payload_bytes", params.size()}, {"per_second", median(rates)},
                               {"p50_us", median(p50s)}, {"p99_us", median(p99s)},
                               {"server_cpu_us", median(server_cpu)}, {"runner_cpu_us", median(runner_cpu)},
                               {"runs", rates}});
    }

    if (options_.generate_bytes > 0) {
        std::string generate = json{{"bytes", options_.generate_bytes}}.dump();
        std::vector<double> rates;
        std::string failure;
        for (int repetition = 0; repetition < options_.generate_repeat && failure.empty(); ++repetition) {
            auto start = Clock::now();
            Run run = co_await batch("system.generate", generate, 1, 1, 600'000);
            if (run.failures > 0) failure = run.first_failure;
            rates.push_back(static_cast<double>(options_.generate_bytes) / 1e6 / seconds_since(start));
        }
        if (failure.empty()) {
            emit("dispatch_generate", {{"storage", options_.storage}, {"bytes", options_.generate_bytes},
                                       {"mb_per_second", median(rates)}, {"runs", rates}});
        } else {
            emit("dispatch_generate", {{"storage", options_.storage}, {"error", failure}});
        }
    }
    emit("runner_rss", {{"storage", options_.storage}, {"connected_kib", rss_connected},
                        {"after_load_kib", rss_kib(runner_)}, {"after_load_anon_kib", status_kib(runner_, "RssAnon")},
                        {"after_load_file_kib", status_kib(runner_, "RssFile")}});
    co_await stop_runner();
    hub_.stop();
    listener_.stop();
}

// SIGTERM drains the runner; the io thread keeps serving its close.
asio::awaitable<void> Bench::stop_runner() {
    ::kill(runner_, SIGTERM);
    boost::system::error_code ec;
    for (int waited = 0; waited < 1500; ++waited) {
        int status = 0;
        if (::waitpid(runner_, &status, WNOHANG) == runner_) co_return;
        wake_.expires_after(std::chrono::milliseconds(10));
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    ::kill(runner_, SIGKILL);
    ::waitpid(runner_, nullptr, 0);
}

}  // namespace

void dispatch_bench(const DispatchOptions& options) {
    Identities identities = load_identities(options.data_dir, options.credentials);
    auto database = must(store::Database::open(options.data_dir / "tether.db"), "cannot open the store");
    must(store::migrate(database), "cannot migrate the store");
    Bench bench(options, std::move(identities), std::move(database));
    bench.run();
}

void store_bench(const DispatchOptions& options) {
    Identities identities = load_identities(options.data_dir, options.credentials);
    auto database = must(store::Database::open(options.data_dir / "tether.db"), "cannot open the store");
    must(store::migrate(database), "cannot migrate the store");
    auto org = must(store::find_org(database, identities.runner.file.org), "org").id;
    auto runner = must(store::find_runner(database, org, identities.runner.file.runner), "runner").id;
    std::string params(options.payload_bytes, 'x');
    params = json{{"payload", params.substr(0, options.payload_bytes > 26 ? options.payload_bytes - 26 : 0)},
                  {"n", 1234567}}
                 .dump();
    std::vector<double> rates, cpu;
    for (int repetition = 0; repetition < options.repeat; ++repetition) {
        double cpu_start = process_cpu_seconds();
        auto start = Clock::now();
        for (std::size_t index = 0; index < options.count; ++index) {
            std::int64_t now = now_ms();
            store::NewOperation request{org, runner, "system.echo", params, std::nullopt, std::nullopt,
                                        "service-account:bench", now, now + 60'000};
            auto submitted = must(store::submit_operation(database, request), "cannot submit");
            auto queued = must(store::queued_operations(database, runner, now, 64), "cannot read the queue");
            for (const auto& operation : queued) must(store::start_operation(database, operation.id, "tn_bench", now), "start");
            store::OperationOutcome outcome;
            outcome.result = params;
            must(store::finish_operation(database, submitted.operation.id, store::OperationStatus::succeeded, outcome,
                                         now_ms()),
                 "finish");
        }
        rates.push_back(static_cast<double>(options.count) / seconds_since(start));
        cpu.push_back((process_cpu_seconds() - cpu_start) * 1e6 / static_cast<double>(options.count));
    }
    emit("store_operations", {{"storage", options.storage}, {"count", options.count}, {"per_second", median(rates)},
                              {"cpu_us", median(cpu)}, {"runs", rates}});
}

}  // namespace tether::bench
