#pragma once

// What every measurement of tunnel_bench shares: clocks, medians and
// percentiles, /proc readings, and one JSON line per figure on stdout for
// bench/tunnel.sh to put in its table.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tether::bench {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start);

// Latencies in microseconds: p50 and p99 (nearest rank).
struct Percentiles {
    double p50_us = 0;
    double p99_us = 0;
};
Percentiles percentiles(std::vector<double> latencies_us);

double median(std::vector<double> values);

// One figure: its name, the median of its repetitions and every repetition
// (`runs`), plus whatever detail the measurement adds.
void emit(const std::string& figure, nlohmann::json fields);

// A "Name: N kB" field of /proc/PID/status in KiB (pid 0: this process),
// e.g. VmRSS, RssAnon, RssFile; -1 if unreadable.
long status_kib(pid_t pid, const std::string& field);
inline long rss_kib(pid_t pid = 0) { return status_kib(pid, "VmRSS"); }
// utime + stime of this whole process, in seconds.
double process_cpu_seconds();
// utime + stime of a process, in seconds.
double cpu_seconds(pid_t pid);
// CPU time of the calling thread, in seconds.
double thread_cpu_seconds();

// Fatal for the benchmark: prints `what` and exits 1.
[[noreturn]] void die(const std::string& what);

}  // namespace tether::bench
