#include "tls_reference.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "measure.h"
#include "tether/pki/tls.h"

namespace tether::bench {
namespace {

constexpr std::size_t stream_chunk = 16 * 1024;  // one full TLS record per write

// A listening socket on 127.0.0.1, any free port.
int listen_loopback(std::uint16_t& port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 4096) != 0) {
        die("cannot listen on 127.0.0.1");
    }
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
    return fd;
}

void no_delay(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int connect_loopback(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("cannot connect to 127.0.0.1");
    no_delay(fd);
    return fd;
}

// A client connection, handshaken, checking the server's name as the
// tunnel dialer does.
SSL* connect_tls(SSL_CTX* context, std::uint16_t port) {
    SSL* ssl = SSL_new(context);
    SSL_set_fd(ssl, connect_loopback(port));
    if (!pki::expect_server_name(ssl, "127.0.0.1")) die("cannot expect the server name");
    if (SSL_connect(ssl) != 1) die("client handshake failed: " + std::to_string(ERR_get_error()));
    return ssl;
}

SSL* accept_tls(SSL_CTX* context, int listener) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) die("accept failed");
    no_delay(fd);
    SSL* ssl = SSL_new(context);
    SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) die("server handshake failed: " + std::to_string(ERR_get_error()));
    return ssl;
}

// For the data references: read ahead, so that OpenSSL reads what the
// socket holds in one call rather than a record header and then its body
// (Asio's TLS stream, under the tunnel, reads up to 17 KiB at a time too).
SSL_CTX* data_context(SSL_CTX* context) {
    SSL_CTX_set_read_ahead(context, 1);
    return context;
}

void close_tls(SSL* ssl) {
    int fd = SSL_get_fd(ssl);
    SSL_free(ssl);
    ::close(fd);
}

bool read_exact(SSL* ssl, char* data, std::size_t size) {
    while (size > 0) {
        int got = SSL_read(ssl, data, static_cast<int>(size));
        if (got <= 0) return false;
        data += got;
        size -= static_cast<std::size_t>(got);
    }
    return true;
}

void write_all(SSL* ssl, const char* data, std::size_t size) {
    if (SSL_write(ssl, data, static_cast<int>(size)) != static_cast<int>(size)) die("SSL_write failed");
}

// The echo server: reads `payload_bytes`, writes them back, until the
// client goes away.
void echo_server(SSL_CTX* context, int listener, std::size_t payload_bytes) {
    SSL* ssl = accept_tls(context, listener);
    std::string message(payload_bytes, '\0');
    while (read_exact(ssl, message.data(), message.size())) write_all(ssl, message.data(), message.size());
    close_tls(ssl);
}

struct EchoRun {
    double per_second = 0;
    Percentiles latency;
};

EchoRun echo_client(SSL* ssl, std::size_t in_flight, std::size_t count, std::size_t payload_bytes) {
    std::string request(payload_bytes, 'x');
    std::string answer(payload_bytes, '\0');
    std::deque<Clock::time_point> sent;
    std::vector<double> latencies;
    latencies.reserve(count);
    auto start = Clock::now();
    std::size_t issued = 0;
    for (; issued < std::min(in_flight, count); ++issued) {
        sent.push_back(Clock::now());
        write_all(ssl, request.data(), request.size());
    }
    for (std::size_t done = 0; done < count; ++done) {
        if (!read_exact(ssl, answer.data(), answer.size())) die("the echo server went away");
        latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent.front()).count());
        sent.pop_front();
        if (issued < count) {
            sent.push_back(Clock::now());
            write_all(ssl, request.data(), request.size());
            ++issued;
        }
    }
    double elapsed = seconds_since(start);
    return {static_cast<double>(count) / elapsed, percentiles(std::move(latencies))};
}

}  // namespace

void tls_echo(const Identities& identities, std::size_t in_flight, std::size_t count, std::size_t payload_bytes,
              int repeat) {
    SSL_CTX* server = data_context(server_context(identities));
    SSL_CTX* client = data_context(client_context(identities));
    std::vector<double> rates, p50s, p99s;
    for (int run = 0; run < repeat; ++run) {
        std::uint16_t port = 0;
        int listener = listen_loopback(port);
        std::thread serving(echo_server, server, listener, payload_bytes);
        SSL* ssl = connect_tls(client, port);
        echo_client(ssl, in_flight, count / 10, payload_bytes);  // warm-up
        EchoRun measured = echo_client(ssl, in_flight, count, payload_bytes);
        close_tls(ssl);
        serving.join();
        ::close(listener);
        rates.push_back(measured.per_second);
        p50s.push_back(measured.latency.p50_us);
        p99s.push_back(measured.latency.p99_us);
    }
    emit("tls_echo", {{"in_flight", in_flight}, {"count", count}, {"payload_bytes", payload_bytes},
                      {"per_second", median(rates)}, {"p50_us", median(p50s)}, {"p99_us", median(p99s)},
                      {"runs", rates}});
    SSL_CTX_free(server);
    SSL_CTX_free(client);
}

void tls_stream(const Identities& identities, std::size_t bytes, int repeat) {
    SSL_CTX* server = data_context(server_context(identities));
    SSL_CTX* client = data_context(client_context(identities));
    std::vector<double> rates;
    for (int run = 0; run < repeat; ++run) {
        std::uint16_t port = 0;
        int listener = listen_loopback(port);
        std::thread serving([&] {
            SSL* ssl = accept_tls(server, listener);
            std::string chunk(stream_chunk, '\0');
            std::size_t received = 0;
            while (received < bytes) {
                int got = SSL_read(ssl, chunk.data(), static_cast<int>(chunk.size()));
                if (got <= 0) die("the stream broke");
                received += static_cast<std::size_t>(got);
            }
            write_all(ssl, "k", 1);
            close_tls(ssl);
        });
        SSL* ssl = connect_tls(client, port);
        std::string chunk(stream_chunk, 'x');
        auto start = Clock::now();
        for (std::size_t sent = 0; sent < bytes; sent += chunk.size()) {
            write_all(ssl, chunk.data(), std::min(chunk.size(), bytes - sent));
        }
        char ack = 0;
        if (!read_exact(ssl, &ack, 1)) die("no acknowledgement of the stream");
        rates.push_back(static_cast<double>(bytes) / 1e6 / seconds_since(start));
        close_tls(ssl);
        serving.join();
        ::close(listener);
    }
    emit("tls_stream", {{"bytes", bytes}, {"mb_per_second", median(rates)}, {"runs", rates}});
    SSL_CTX_free(server);
    SSL_CTX_free(client);
}

namespace {

// A single-threaded non-blocking server, like tether's one io thread:
// handshakes `count` connections, sends each one byte, closes it. Returns
// its own CPU time.
double handshake_server(SSL_CTX* context, int listener, std::size_t count) {
    struct Connection {
        SSL* ssl;
    };
    double cpu_start = thread_cpu_seconds();
    ::fcntl(listener, F_SETFL, O_NONBLOCK);
    std::vector<Connection> connections;
    std::vector<pollfd> polled;
    std::size_t finished = 0;
    while (finished < count) {
        polled.assign(1, pollfd{listener, POLLIN, 0});
        for (const auto& connection : connections) {
            int want = SSL_want_write(connection.ssl) ? POLLOUT : POLLIN;
            polled.push_back(pollfd{SSL_get_fd(connection.ssl), static_cast<short>(want), 0});
        }
        ::poll(polled.data(), polled.size(), 1000);
        if (polled[0].revents & POLLIN) {
            for (int fd; (fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0;) {
                no_delay(fd);
                SSL* ssl = SSL_new(context);
                SSL_set_fd(ssl, fd);
                SSL_set_accept_state(ssl);
                connections.push_back({ssl});
            }
        }
        // Those accepted just now have no poll entry yet: try them at once.
        std::vector<Connection> open;
        for (std::size_t index = 0; index < connections.size(); ++index) {
            Connection& connection = connections[index];
            bool ready = index + 1 >= polled.size() || polled[index + 1].revents != 0;
            bool done = false;
            if (ready) {
                int rc = SSL_do_handshake(connection.ssl);
                if (rc == 1) {
                    // The session ticket and one byte fit the empty socket buffer.
                    SSL_write(connection.ssl, "k", 1);
                    done = true;
                } else {
                    int error = SSL_get_error(connection.ssl, rc);
                    done = error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE;
                }
            }
            if (done) {
                close_tls(connection.ssl);
                ERR_clear_error();
                ++finished;
            } else {
                open.push_back(connection);
            }
        }
        connections.swap(open);
    }
    return thread_cpu_seconds() - cpu_start;
}

}  // namespace

void tls_handshakes(const Identities& identities, std::size_t count, std::size_t parallel, int repeat) {
    SSL_CTX* server = server_context(identities);
    SSL_CTX* client = client_context(identities);
    std::vector<double> rates, server_cpu_ms, client_cpu_ms;
    for (int run = 0; run < repeat; ++run) {
        std::uint16_t port = 0;
        int listener = listen_loopback(port);
        double cpu = 0;
        double process_start = process_cpu_seconds();
        std::thread serving([&] { cpu = handshake_server(server, listener, count); });
        std::atomic<std::size_t> next{0};
        std::atomic<std::size_t> refused{0};
        auto start = Clock::now();
        std::vector<std::thread> clients;
        for (std::size_t worker = 0; worker < parallel; ++worker) {
            clients.emplace_back([&] {
                while (next.fetch_add(1) < count) {
                    SSL* ssl = connect_tls(client, port);
                    char accepted = 0;
                    if (!read_exact(ssl, &accepted, 1)) ++refused;
                    close_tls(ssl);
                }
            });
        }
        for (auto& worker : clients) worker.join();
        double elapsed = seconds_since(start);
        serving.join();
        ::close(listener);
        if (refused > 0) die(std::to_string(refused.load()) + " bare handshakes were refused");
        rates.push_back(static_cast<double>(count) / elapsed);
        server_cpu_ms.push_back(cpu * 1000 / static_cast<double>(count));
        double process = process_cpu_seconds() - process_start;
        client_cpu_ms.push_back((process - cpu) * 1000 / static_cast<double>(count));
    }
    emit("tls_handshakes", {{"count", count}, {"parallel", parallel}, {"per_second", median(rates)},
                            {"server_cpu_ms", median(server_cpu_ms)}, {"client_cpu_ms", median(client_cpu_ms)},
                            {"runs", rates}});
    SSL_CTX_free(server);
    SSL_CTX_free(client);
}

void tls_idle(const Identities& identities, std::size_t count) {
    SSL_CTX* server = server_context(identities);
    std::uint16_t port = 0;
    int listener = listen_loopback(port);
    // Warm up the server's lazily initialised parts with one connection.
    pid_t warm = ::fork();
    if (warm == 0) {
        close_tls(connect_tls(client_context(identities), port));
        ::_exit(0);
    }
    close_tls(accept_tls(server, listener));
    ::waitpid(warm, nullptr, 0);

    long before = rss_kib();
    pid_t clients = ::fork();
    if (clients == 0) {
        SSL_CTX* client = client_context(identities);
        std::vector<SSL*> held;
        for (std::size_t index = 0; index < count; ++index) {
            SSL* ssl = connect_tls(client, port);
            char accepted = 0;
            if (!read_exact(ssl, &accepted, 1)) ::_exit(1);
            held.push_back(ssl);
        }
        ::pause();  // until the server is done measuring
        ::_exit(0);
    }
    std::vector<SSL*> held;
    for (std::size_t index = 0; index < count; ++index) {
        SSL* ssl = accept_tls(server, listener);
        write_all(ssl, "k", 1);
        held.push_back(ssl);
    }
    ::sleep(1);
    long after = rss_kib();
    ::kill(clients, SIGKILL);
    ::waitpid(clients, nullptr, 0);
    for (SSL* ssl : held) close_tls(ssl);
    ::close(listener);
    emit("tls_idle", {{"count", count}, {"rss_before_kib", before}, {"rss_after_kib", after},
                      {"kib_per_connection", static_cast<double>(after - before) / static_cast<double>(count)}});
    SSL_CTX_free(server);
}

}  // namespace tether::bench
