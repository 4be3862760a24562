#include <doctest/doctest.h>

#include "tether/core/error.h"

using namespace tether;

TEST_CASE("error kinds map to sysexits codes") {
    CHECK(to_int(exit_code_for(ErrorKind::invalid_argument)) == 64);
    CHECK(to_int(exit_code_for(ErrorKind::unavailable)) == 69);
    CHECK(to_int(exit_code_for(ErrorKind::deadline_exceeded)) == 69);
    CHECK(to_int(exit_code_for(ErrorKind::internal)) == 70);
    CHECK(to_int(exit_code_for(ErrorKind::unauthenticated)) == 77);
    CHECK(to_int(exit_code_for(ErrorKind::permission_denied)) == 77);
    CHECK(to_int(exit_code_for(ErrorKind::failed_precondition)) == 78);
}

TEST_CASE("a Result holds either a value or an error") {
    Result<int> good = 5;
    REQUIRE(good.ok());
    CHECK(good.value() == 5);
    Result<int> bad = Error{ErrorKind::not_found, "no runner 'x'"};
    CHECK_FALSE(bad);
    CHECK(bad.error().kind == ErrorKind::not_found);
    CHECK(std::string(to_string(bad.error().kind)) == "not_found");
}

TEST_CASE("fail() throws a Fatal with the error's exit code") {
    try {
        fail(Error{ErrorKind::unauthenticated, "key revoked"});
        FAIL("fail() returned");
    } catch (const Fatal& fatal) {
        CHECK(fatal.code() == ExitCode::refused);
        CHECK(std::string(fatal.what()) == "key revoked");
    }
}
