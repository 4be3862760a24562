#pragma once

// Operations through one tunnel, measured at the server's dispatch layer:
// the real TunnelHub and TunnelListener in this process, over a real SQLite
// store, and a real `tether runner` process at the other end. Each
// operation is what the API does after its own checks:
// store::submit_operation, then TunnelHub::operation_submitted; it ends
// when the hub's on_finished reports the runner's answer stored.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace tether::bench {

struct DispatchOptions {
    std::filesystem::path data_dir;     // initialised by `tether server init`
    std::filesystem::path credentials;  // a runner of that data dir
    std::string tether;                 // the binary that runs the runner
    std::filesystem::path runner_log;
    std::string storage;                // what the data dir is on, for the output ("tmpfs", "disk")
    std::vector<std::size_t> in_flight;  // one echo measurement for each
    std::size_t count = 20'000;          // operations per repetition
    std::size_t payload_bytes = 128;     // of the echoed params, as JSON text
    int repeat = 3;
    std::size_t generate_bytes = 0;  // > 0: also system.generate of this size
    int generate_repeat = 3;
};

// Emits "dispatch_echo" per in-flight count, "dispatch_generate", and
// "runner_rss" (the runner's VmRSS once connected, and after the load).
void dispatch_bench(const DispatchOptions& options);

// The store's share of an operation, without any tunnel: the same calls
// the hub makes for one system.echo (submit, read the queue, start,
// finish), one operation after another. Emits "store_operations".
void store_bench(const DispatchOptions& options);

}  // namespace tether::bench
