// Helper programs run by run_process: real /bin/sh scripts in a temp dir.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tether/providers/process.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using tether::ErrorKind;
using tether::providers::ProcessRequest;
using tether::providers::run_process;

namespace {

struct Scripts {
    fs::path dir = fs::temp_directory_path() / ("tether-process-" + std::to_string(::getpid()));
    Scripts() { fs::create_directories(dir); }
    ~Scripts() { fs::remove_all(dir); }

    std::string write(const std::string& name, const std::string& body) const {
        fs::path path = dir / name;
        std::ofstream(path) << "#!/bin/sh\n" << body;
        fs::permissions(path, fs::perms::owner_all);
        return path.string();
    }
};

}  // namespace

TEST_CASE("a successful program's stdout and stderr come back; arguments and environment arrive") {
    Scripts scripts;
    ProcessRequest request;
    request.argv = {scripts.write("ok.sh", "printf '%s|%s|%s' \"$1\" \"$2\" \"$GREETING\"; echo warn >&2\n"), "a b",
                    "c"};
    request.environment = std::vector<std::string>{"GREETING=hello"};
    auto output = run_process(request);
    REQUIRE_MESSAGE(output, (output ? "" : output.error().message));
    CHECK(output.value().stdout_text.reveal() == "a b|c|hello");
    CHECK(output.value().stderr_text == "warn\n");
}

TEST_CASE("stdin text is delivered and then closed") {
    Scripts scripts;
    ProcessRequest request;
    request.argv = {scripts.write("cat.sh", "cat; echo .\n")};
    std::string big(300'000, 'x');  // more than a pipe holds
    request.stdin_text = tether::Secret(big);
    auto output = run_process(request);
    REQUIRE(output);
    CHECK(output.value().stdout_text.reveal() == big + ".\n");
}

TEST_CASE("a program that ignores its stdin is no error") {
    Scripts scripts;
    ProcessRequest request;
    request.argv = {scripts.write("deaf.sh", "exec 0<&-; echo done\n")};
    request.stdin_text = tether::Secret(std::string(1'000'000, 'y'));
    auto output = run_process(request);
    REQUIRE_MESSAGE(output, (output ? "" : output.error().message));
    CHECK(output.value().stdout_text.reveal() == "done\n");
}

TEST_CASE("a non-zero exit names the program, the code and stderr's first line, but no argument") {
    Scripts scripts;
    ProcessRequest request;
    std::string program = scripts.write("fail.sh", "echo 'token expired' >&2; echo more >&2; exit 3\n");
    request.argv = {program, "--secret=hunter2"};
    auto output = run_process(request);
    REQUIRE_FALSE(output);
    CHECK(output.error().kind == ErrorKind::unavailable);
    CHECK(output.error().message == program + " failed with exit code 3: token expired");
}

TEST_CASE("a program killed by a signal says which") {
    Scripts scripts;
    ProcessRequest request;
    request.argv = {scripts.write("killed.sh", "kill -TERM $$\n")};
    auto output = run_process(request);
    REQUIRE_FALSE(output);
    CHECK(output.error().message.find("killed by signal " + std::to_string(SIGTERM)) != std::string::npos);
}

TEST_CASE("a program still running at the deadline is killed with what it started") {
    Scripts scripts;
    fs::path marker = scripts.dir / "survived";
    ProcessRequest request;
    // The grandchild holds stdout open; it must die with the group.
    request.argv = {scripts.write("slow.sh", "(sleep 2; touch " + marker.string() + ") & sleep 30\n")};
    request.timeout = 300ms;
    auto started = std::chrono::steady_clock::now();
    auto output = run_process(request);
    REQUIRE_FALSE(output);
    CHECK(output.error().kind == ErrorKind::deadline_exceeded);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    ::sleep(3);
    CHECK_FALSE(fs::exists(marker));
}

TEST_CASE("a program that closes its output but lingers still meets the deadline") {
    Scripts scripts;
    ProcessRequest request;
    request.argv = {scripts.write("linger.sh", "exec >&- 2>&-; sleep 30\n")};
    request.timeout = 300ms;
    auto output = run_process(request);
    REQUIRE_FALSE(output);
    CHECK(output.error().kind == ErrorKind::deadline_exceeded);
}

TEST_CASE("output over the limit is an error and the program is killed") {
    Scripts scripts;
    ProcessRequest request;
    request.argv = {scripts.write("flood.sh", "yes credentials\n")};
    request.max_stdout_bytes = 4096;
    auto output = run_process(request);
    REQUIRE_FALSE(output);
    CHECK(output.error().kind == ErrorKind::unavailable);
    CHECK(output.error().message.find("more than 4096 bytes to stdout") != std::string::npos);
}

TEST_CASE("missing and non-executable programs, bare names through the search path") {
    Scripts scripts;
    ProcessRequest request;
    request.argv = {(scripts.dir / "nope").string()};
    CHECK(run_process(request).error().kind == ErrorKind::not_found);
    request.argv = {"tether-no-such-program"};
    CHECK(run_process(request).error().kind == ErrorKind::not_found);
    fs::path plain = scripts.dir / "plain";
    std::ofstream(plain) << "x";
    request.argv = {plain.string()};
    CHECK(run_process(request).error().kind == ErrorKind::permission_denied);
    request.argv = {"echo", "hi"};
    auto output = run_process(request);
    REQUIRE(output);
    CHECK(output.value().stdout_text.reveal() == "hi\n");
    request.argv = {};
    CHECK(run_process(request).error().kind == ErrorKind::invalid_argument);
}

TEST_CASE("the child inherits no other descriptor of ours") {
    Scripts scripts;
    int leaked = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose
    REQUIRE(leaked >= 3);
    ProcessRequest request;
    request.argv = {scripts.write("fds.sh", "ls /proc/self/fd\n")};
    auto output = run_process(request);
    ::close(leaked);
    REQUIRE(output);
    // 0, 1, 2 and the descriptor ls opens to list the directory.
    CHECK(output.value().stdout_text.reveal() == "0\n1\n2\n3\n");
}
