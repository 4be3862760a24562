// tunnel_bench: the measurements bench/tunnel.sh puts in one table. Each
// subcommand prints one JSON line per figure on stdout.
#include <CLI/CLI.hpp>
#include <signal.h>

#include <functional>
#include <iostream>
#include <tuple>

#include "dispatch.h"
#include "identities.h"
#include "measure.h"
#include "tether/core/log.h"
#include "tls_reference.h"
#include "transport.h"
#include "tunnel_load.h"

namespace {

using namespace tether::bench;

struct Files {
    std::string data_dir;
    std::string credentials;
};

void add_files(CLI::App& command, Files& files) {
    command.add_option("--data-dir", files.data_dir, "data dir made by tether server init")->required();
    command.add_option("--credentials", files.credentials, "credentials file of a runner of that data dir")->required();
}

}  // namespace

int main(int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);
    tether::log::set_level(tether::log::Level::warn);
    tether::log::set_format(tether::log::Format::json);

    CLI::App app{"tunnel_bench: the measurements of bench/tunnel.sh", "tunnel_bench"};
    app.require_subcommand(1, 1);
    std::function<void()> action;
    Files files;
    std::size_t count = 0, in_flight = 1, payload = 128, bytes = 0, parallel = 1;
    int repeat = 3;

    auto* echo = app.add_subcommand("tls-echo", "bare OpenSSL request/response loop");
    add_files(*echo, files);
    echo->add_option("--in-flight", in_flight)->required();
    echo->add_option("--count", count)->required();
    echo->add_option("--payload-bytes", payload);
    echo->add_option("--repeat", repeat);
    echo->callback([&] {
        action = [&] { tls_echo(load_identities(files.data_dir, files.credentials), in_flight, count, payload, repeat); };
    });

    // The two streams of `bytes`: the bare reference and the tunnel's channel alone.
    using Stream = void (*)(const Identities&, std::size_t, int);
    for (auto [name, description, measure] :
         {std::tuple<const char*, const char*, Stream>{"tls-stream", "bare OpenSSL stream", tls_stream},
          {"channel-stream", "the tunnel's WebSocket channel alone, streaming", channel_stream}}) {
        auto* stream = app.add_subcommand(name, description);
        add_files(*stream, files);
        stream->add_option("--bytes", bytes)->required();
        stream->add_option("--repeat", repeat);
        stream->callback([&, measure = measure] {
            action = [&, measure] { measure(load_identities(files.data_dir, files.credentials), bytes, repeat); };
        });
    }

    auto* handshakes = app.add_subcommand("tls-handshakes", "bare OpenSSL mutual-TLS handshake loop");
    add_files(*handshakes, files);
    handshakes->add_option("--count", count)->required();
    handshakes->add_option("--parallel", parallel);
    handshakes->add_option("--repeat", repeat);
    handshakes->callback([&] {
        action = [&] {
            tls_handshakes(load_identities(files.data_dir, files.credentials), count, parallel, repeat);
        };
    });

    auto* idle = app.add_subcommand("tls-idle", "bare OpenSSL server holding idle connections");
    add_files(*idle, files);
    idle->add_option("--count", count)->required();
    idle->callback([&] { action = [&] { tls_idle(load_identities(files.data_dir, files.credentials), count); }; });

    DispatchOptions dispatch;
    auto* operations = app.add_subcommand("dispatch", "operations through an in-process hub and a real runner");
    add_files(*operations, files);
    operations->add_option("--tether", dispatch.tether, "the tether binary for the runner")->required();
    operations->add_option("--runner-log", dispatch.runner_log)->required();
    operations->add_option("--storage", dispatch.storage, "what the data dir is on, for the output");
    operations->add_option("--in-flight", dispatch.in_flight)->required();
    operations->add_option("--count", dispatch.count);
    operations->add_option("--payload-bytes", dispatch.payload_bytes);
    operations->add_option("--repeat", dispatch.repeat);
    operations->add_option("--generate-bytes", dispatch.generate_bytes, "also system.generate of this many bytes");
    operations->callback([&] {
        action = [&] {
            dispatch.data_dir = files.data_dir;
            dispatch.credentials = files.credentials;
            dispatch_bench(dispatch);
        };
    });

    auto* store_only = app.add_subcommand("store", "the store's calls for one operation, without a tunnel");
    add_files(*store_only, files);
    store_only->add_option("--storage", dispatch.storage, "what the data dir is on, for the output");
    store_only->add_option("--count", dispatch.count);
    store_only->add_option("--payload-bytes", dispatch.payload_bytes);
    store_only->add_option("--repeat", dispatch.repeat);
    store_only->callback([&] {
        action = [&] {
            dispatch.data_dir = files.data_dir;
            dispatch.credentials = files.credentials;
            store_bench(dispatch);
        };
    });

    LoadOptions load;
    auto add_load = [&](CLI::App& command) {
        command.add_option("--endpoint", load.endpoint, "the server's tunnel address")->required();
        command.add_option("--credentials", load.credentials)->required();
        command.add_option("--server-pid", load.server_pid)->required();
        command.add_option("--count", load.count);
        command.add_option("--parallel", load.parallel);
        command.add_option("--storage", load.storage, "what the server's data dir is on, for the output");
    };
    auto* tunnels = app.add_subcommand("tunnel-handshakes", "new tunnels per second against a tether server");
    add_load(*tunnels);
    tunnels->add_option("--repeat", load.repeat);
    tunnels->callback([&] { action = [&] { tunnel_handshakes(load); }; });
    auto* held = app.add_subcommand("tunnel-idle", "idle tunnels held against a tether server");
    add_load(*held);
    held->add_option("--idle-seconds", load.idle_seconds);
    held->callback([&] { action = [&] { tunnel_idle(load); }; });

    CLI11_PARSE(app, argc, argv);
    action();
    return 0;
}
