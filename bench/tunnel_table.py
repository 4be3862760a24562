#!/usr/bin/env python3
"""Prints bench/tunnel.sh's table from tunnel_bench's JSON lines.

Each row: the figure, tether's value, the reference measured in the same
run, their ratio, the issue's goal, and whether it is met.
"""
import json
import sys


def load(path):
    with open(path) as lines:
        return [json.loads(line) for line in lines if line.startswith("{")]


class Results:
    def __init__(self, records):
        self.records = records

    def find(self, figure, **match):
        for record in self.records:
            if record["figure"] == figure and all(record.get(k) == v for k, v in match.items()):
                return record
        return None


def rate(value):
    return f"{value:,.0f}/s"


def mark(met):
    return "**yes**" if met else "**no**"


def main():
    results = Results(load(sys.argv[1]))
    rows = []

    def row(figure, tether, reference, ratio, goal, met):
        rows.append((figure, tether, reference, ratio, goal, met))

    for in_flight, goal in ((1, 15_000), (64, 150_000)):
        bare = results.find("tls_echo", in_flight=in_flight)
        for storage in ("tmpfs", "disk"):
            echo = results.find("dispatch_echo", in_flight=in_flight, storage=storage)
            if not echo or not bare:
                row(f"system.echo, {in_flight} in flight, store on {storage}", "not measured", "", "", "", "")
                continue
            row(f"system.echo round trips, {in_flight} in flight, store on {storage}",
                f"{rate(echo['per_second'])} (p50 {echo['p50_us']:,.0f} µs, p99 {echo['p99_us']:,.0f} µs; CPU per "
                f"operation: server {echo['server_cpu_us']:.0f} µs, runner {echo['runner_cpu_us']:.0f} µs)",
                f"bare TLS 1.3 echo, {bare['payload_bytes']} B, {in_flight} pipelined: {rate(bare['per_second'])} "
                f"(p50 {bare['p50_us']:.0f} µs, p99 {bare['p99_us']:.0f} µs)",
                f"{echo['per_second'] / bare['per_second']:.2f}", f"≥ {goal:,}/s", mark(echo["per_second"] >= goal))

    for storage in ("tmpfs", "disk"):
        alone = results.find("store_operations", storage=storage)
        if alone:
            row(f"(explains the above) the store alone: one operation's submit, queue read, start and finish, "
                f"store on {storage}", f"{rate(alone['per_second'])}, {alone['cpu_us']:.0f} µs CPU each", "", "", "",
                "")

    idle = results.find("tunnel_idle")
    bare_idle = results.find("tls_idle")
    if idle and bare_idle:
        row(f"server memory per idle tunnel ({idle['count']:,} tunnels, real server)",
            f"{idle['kib_per_tunnel']:.1f} KiB ({idle['kib_per_tunnel_after_idle']:.1f} KiB after "
            f"{idle['idle_seconds']} s idle)",
            f"bare OpenSSL server, {bare_idle['count']:,} idle mTLS connections: "
            f"{bare_idle['kib_per_connection']:.1f} KiB",
            f"{idle['kib_per_tunnel'] / bare_idle['kib_per_connection']:.2f}", "≤ 16 KiB",
            mark(max(idle["kib_per_tunnel"], idle["kib_per_tunnel_after_idle"]) <= 16))
        row(f"server CPU with {idle['count']:,} idle tunnels, default pings ({idle['idle_seconds']} s)",
            f"{idle['cpu_percent_held']:.2f} % of a core",
            f"the same server with no tunnel: {idle['cpu_percent_empty']:.2f} %", "",
            "near zero (taken as ≤ 1 %)", mark(idle["cpu_percent_held"] <= 1.0))
        if idle.get("lost_while_idle"):
            row("tunnels lost while idle", str(idle["lost_while_idle"]), "", "", "0", mark(False))

    for parallel in (1, 2):
        bare = results.find("tls_handshakes", parallel=parallel)
        for storage in ("tmpfs", "disk"):
            tunnels = results.find("tunnel_handshakes", parallel=parallel, storage=storage)
            if not tunnels or not bare:
                continue
            how = "sequential" if parallel == 1 else f"{parallel} in parallel"
            ratio = tunnels["per_second"] / bare["per_second"]
            row(f"new tunnels per second, {how}, store on {storage}",
                f"{rate(tunnels['per_second'])}; CPU each: server {tunnels['server_cpu_ms']:.2f} ms, "
                f"client {tunnels['client_cpu_ms']:.2f} ms",
                f"bare OpenSSL mTLS handshakes, {how}: {rate(bare['per_second'])}; CPU each: server "
                f"{bare['server_cpu_ms']:.2f} ms, client {bare['client_cpu_ms']:.2f} ms",
                f"{ratio:.2f}", "≥ 0.80", mark(ratio >= 0.8))

    runner = results.find("runner_idle")
    if runner:
        mib = runner["rss_kib"] / 1024
        floor = runner["version_rss_kib"] / 1024
        row(f"runner idle RSS (static binary, connected, {runner['idle_seconds']} s idle)",
            f"{mib:.1f} MiB ({runner['anon_kib'] / 1024:.1f} MiB heap and stacks, {runner['file_kib'] / 1024:.1f} MiB "
            "of the binary's pages)",
            f"the same binary running `tether version`, peak RSS: {floor:.1f} MiB", f"{mib / floor:.2f}",
            "≤ 5 MiB", mark(mib <= 5))
    after_load = results.find("runner_rss", storage="tmpfs")
    if after_load:
        row("runner RSS after the echo runs (idle again)", f"{after_load['after_load_kib'] / 1024:.1f} MiB",
            f"the same runner just connected: {after_load['connected_kib'] / 1024:.1f} MiB", "", "(no goal)", "")

    binary = results.find("binary")
    if binary:
        row("stripped static binary", f"{binary['stripped_bytes']:,} bytes ({binary['stripped_bytes'] / 2**20:.1f} MiB)",
            f"unstripped: {binary['unstripped_bytes']:,} bytes", "", "report it", "")

    stream = results.find("tls_stream")
    for storage in ("tmpfs", "disk"):
        generate = results.find("dispatch_generate", storage=storage)
        if not generate or not stream:
            continue
        if "error" in generate:
            row(f"64 MiB result in chunk frames, store on {storage}", f"failed: {generate['error']}",
                f"bare TLS 1.3 stream: {stream['mb_per_second']:,.0f} MB/s", "", "≥ 0.50", mark(False))
            continue
        ratio = generate["mb_per_second"] / stream["mb_per_second"]
        row(f"64 MiB result in chunk frames, dispatch to stored, store on {storage}",
            f"{generate['mb_per_second']:,.0f} MB/s",
            f"bare TLS 1.3 stream of 64 MiB: {stream['mb_per_second']:,.0f} MB/s", f"{ratio:.2f}", "≥ 0.50",
            mark(ratio >= 0.5))

    channel = results.find("channel_stream")
    if channel and stream:
        row(f"(explains the above) the tunnel's WebSocket channel alone, 64 MiB in "
            f"{channel['frame_bytes'] // 2**20} MiB chunk frames, no runner, JSON or store",
            f"{channel['mb_per_second']:,.0f} MB/s", f"bare TLS 1.3 stream: {stream['mb_per_second']:,.0f} MB/s",
            f"{channel['mb_per_second'] / stream['mb_per_second']:.2f}", "", "")

    print("| figure | tether | reference (same run) | ratio | goal | met? |")
    print("|---|---|---|---|---|---|")
    for cells in rows:
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
