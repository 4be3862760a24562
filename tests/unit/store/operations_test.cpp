#include <doctest/doctest.h>

#include <string>

#include "tether/store/identities.h"
#include "tether/store/operations.h"
#include "tether/store/runners.h"
#include "temp_database.h"

using namespace tether;
using namespace tether::store;

namespace {

struct OperationDatabase : testing::TempDatabase {
    Org acme = create_org(*db, "acme", 1).value();
    Org globex = create_org(*db, "globex", 1).value();

    Runner add_runner(const Org& org, const std::string& name) {
        auto account = create_service_account(*db, org, "runner-" + name, AccountKind::runner, auth::Role::viewer, 2);
        REQUIRE(account);
        auto runner = insert_runner(*db, org.id, name, "rn_" + org.name + "_" + name, account.value().id, 3);
        REQUIRE(runner);
        return runner.value();
    }

    Operation submit(const NewOperation& request) {
        auto submitted = submit_operation(*db, request);
        REQUIRE(submitted);
        REQUIRE(submitted.value().created);
        return submitted.value().operation;
    }

    Operation reload(const Operation& operation) {
        auto found = find_operation_by_id(*db, operation.id);
        REQUIRE(found);
        return found.value();
    }
};

NewOperation request_for(const Runner& runner, std::int64_t deadline_at_ms = 31'000) {
    NewOperation request;
    request.org_id = runner.org_id;
    request.runner_id = runner.id;
    request.type = "system.echo";
    request.params = R"({"message":"hi"})";
    request.submitted_by = "service-account:acme/ci";
    request.created_at_ms = 1'000;
    request.deadline_at_ms = deadline_at_ms;
    return request;
}

NewOperation with_key(NewOperation request, const std::string& key) {
    request.idempotency_key = key;
    return request;
}

bool is_base62(const std::string& text) {
    for (char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("operations: statuses round-trip through their names, and four of them are final") {
    for (OperationStatus status : {OperationStatus::queued, OperationStatus::running, OperationStatus::succeeded,
                                   OperationStatus::failed, OperationStatus::cancelled, OperationStatus::timed_out}) {
        CHECK(parse_operation_status(to_string(status)).value() == status);
    }
    auto unknown = parse_operation_status("done");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().kind == ErrorKind::invalid_argument);
    CHECK(unknown.error().message.find("'done'") != std::string::npos);
    CHECK_FALSE(is_final(OperationStatus::queued));
    CHECK_FALSE(is_final(OperationStatus::running));
    CHECK(is_final(OperationStatus::succeeded));
    CHECK(is_final(OperationStatus::failed));
    CHECK(is_final(OperationStatus::cancelled));
    CHECK(is_final(OperationStatus::timed_out));
}

TEST_CASE("operations: a submission is queued with every field it was given") {
    OperationDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    NewOperation request = with_key(request_for(web), "key-1");
    request.connection = "prod-aws";
    auto submitted = submit_operation(*store.db, request);
    REQUIRE(submitted);
    CHECK(submitted.value().created);
    const Operation& operation = submitted.value().operation;
    CHECK(operation.public_id.size() == 23);
    CHECK(operation.public_id.rfind("op_", 0) == 0);
    CHECK(is_base62(operation.public_id.substr(3)));
    CHECK(operation.org_id == store.acme.id);
    CHECK(operation.org == "acme");
    CHECK(operation.runner_id == web.id);
    CHECK(operation.runner == "web-1");
    CHECK(operation.type == "system.echo");
    CHECK(operation.params == R"({"message":"hi"})");
    CHECK(operation.connection == "prod-aws");
    CHECK(operation.idempotency_key == "key-1");
    CHECK(operation.status == OperationStatus::queued);
    CHECK(operation.submitted_by == "service-account:acme/ci");
    CHECK(operation.created_at_ms == 1'000);
    CHECK(operation.deadline_at_ms == 31'000);
    CHECK_FALSE(operation.started_at_ms.has_value());
    CHECK_FALSE(operation.finished_at_ms.has_value());
    CHECK_FALSE(operation.result.has_value());
    CHECK_FALSE(operation.error_code.has_value());
    CHECK_FALSE(operation.tunnel_id.has_value());

    Operation plain = store.submit(request_for(web));
    CHECK(plain.public_id != operation.public_id);
    CHECK_FALSE(plain.connection.has_value());
    CHECK_FALSE(plain.idempotency_key.has_value());
}

TEST_CASE("operations: the same idempotency key returns the first operation instead of queueing another") {
    OperationDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    Operation first = store.submit(with_key(request_for(web), "retry-me"));
    auto again = submit_operation(*store.db, with_key(request_for(web), "retry-me"));
    REQUIRE(again);
    CHECK_FALSE(again.value().created);
    CHECK(again.value().operation.id == first.id);
    CHECK(again.value().operation.public_id == first.public_id);
    CHECK(list_operations(*store.db, store.acme.id, {}).value().size() == 1);
}

TEST_CASE("operations: an idempotency key reused for a different request is refused and queues nothing") {
    OperationDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    Runner db = store.add_runner(store.acme, "db-1");
    Operation first = store.submit(with_key(request_for(web), "k"));

    NewOperation other_params = with_key(request_for(web), "k");
    other_params.params = R"({"message":"bye"})";
    NewOperation other_type = with_key(request_for(web), "k");
    other_type.type = "system.info";
    NewOperation other_connection = with_key(request_for(web), "k");
    other_connection.connection = "prod-aws";
    NewOperation other_runner = with_key(request_for(db), "k");
    for (const NewOperation& request : {other_params, other_type, other_connection, other_runner}) {
        CAPTURE(request.type);
        auto refused = submit_operation(*store.db, request);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().kind == ErrorKind::already_exists);
        CHECK(refused.error().message.find("idempotency key 'k' was already used for a different operation") !=
              std::string::npos);
        CHECK(refused.error().message.find(first.public_id) != std::string::npos);
    }
    CHECK(list_operations(*store.db, store.acme.id, {}).value().size() == 1);
}

TEST_CASE("operations: idempotency keys are per org") {
    OperationDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    Runner other = store.add_runner(store.globex, "web-1");
    Operation mine = store.submit(with_key(request_for(web), "shared"));
    auto theirs = submit_operation(*store.db, with_key(request_for(other), "shared"));
    REQUIRE(theirs);
    CHECK(theirs.value().created);
    CHECK(theirs.value().operation.id != mine.id);
    CHECK(theirs.value().operation.org == "globex");
}

TEST_CASE("operations: no work is queued for a deleted runner, another org's runner, or with a bad type or key") {
    OperationDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    Runner foreign = store.add_runner(store.globex, "db-1");

    NewOperation cross_org = request_for(foreign);
    cross_org.org_id = store.acme.id;
    auto refused = submit_operation(*store.db, cross_org);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == ErrorKind::not_found);

    NewOperation no_type = request_for(web);
    no_type.type = "";
    CHECK(submit_operation(*store.db, no_type).error().kind == ErrorKind::invalid_argument);
    NewOperation long_type = request_for(web);
    long_type.type = std::string(101, 'a');
    CHECK(submit_operation(*store.db, long_type).error().kind == ErrorKind::invalid_argument);
    CHECK(submit_operation(*store.db, with_key(request_for(web), "")).error().kind == ErrorKind::invalid_argument);

    REQUIRE(mark_runner_deleted(*store.db, web.id, 4));
    CHECK(submit_operation(*store.db, request_for(web)).error().kind == ErrorKind::not_found);
    CHECK(list_operations(*store.db, store.acme.id, {}).value().empty());
}

TEST_CASE("operations: find and list see only the caller's org") {
    OperationDatabase store;
    Operation mine = store.submit(request_for(store.add_runner(store.acme, "web-1")));
    Operation theirs = store.submit(request_for(store.add_runner(store.globex, "web-1")));

    CHECK(find_operation(*store.db, store.acme.id, mine.public_id).value().id == mine.id);
    auto hidden = find_operation(*store.db, store.acme.id, theirs.public_id);
    REQUIRE_FALSE(hidden);
    CHECK(hidden.error().kind == ErrorKind::not_found);
    CHECK(hidden.error().message == "no operation '" + theirs.public_id + "'");
    CHECK(find_operation_by_id(*store.db, 999).error().kind == ErrorKind::not_found);

    auto listed = list_operations(*store.db, store.acme.id, {});
    REQUIRE(listed);
    REQUIRE(listed.value().size() == 1);
    CHECK(listed.value()[0].id == mine.id);
}

TEST_CASE("operations: lists are newest first, filter by runner and status, and page with before_id") {
    OperationDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    Runner db = store.add_runner(store.acme, "db-1");
    Operation a = store.submit(request_for(web));
    Operation b = store.submit(request_for(db));
    Operation c = store.submit(request_for(web));
    Operation d = store.submit(request_for(web));
    REQUIRE(start_operation(*store.db, c.id, "tn_a", 2'000).value());

    auto ids = [&](const OperationFilter& filter) {
        auto listed = list_operations(*store.db, store.acme.id, filter);
        REQUIRE(listed);
        std::vector<std::int64_t> out;
        for (const Operation& operation : listed.value()) out.push_back(operation.id);
        return out;
    };
    CHECK(ids({}) == std::vector<std::int64_t>{d.id, c.id, b.id, a.id});
    CHECK(ids({.runner_id = web.id}) == std::vector<std::int64_t>{d.id, c.id, a.id});
    CHECK(ids({.status = OperationStatus::queued}) == std::vector<std::int64_t>{d.id, b.id, a.id});
    CHECK(ids({.runner_id = web.id, .status = OperationStatus::running}) == std::vector<std::int64_t>{c.id});
    CHECK(ids({.limit = 2}) == std::vector<std::int64_t>{d.id, c.id});
    CHECK(ids({.before_id = c.id, .limit = 2}) == std::vector<std::int64_t>{b.id, a.id});
    CHECK(ids({.before_id = a.id}).empty());
    CHECK(list_operations(*store.db, store.acme.id, {.limit = 0}).error().kind == ErrorKind::invalid_argument);
}

TEST_CASE("operations: a runner's queued work comes oldest first, up to the limit, without expired or others' work") {
    OperationDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    Runner db = store.add_runner(store.acme, "db-1");
    Operation first = store.submit(request_for(web));
    store.submit(request_for(db));
    Operation expired = store.submit(request_for(web, 5'000));
    Operation running = store.submit(request_for(web));
    Operation last = store.submit(request_for(web));
    REQUIRE(start_operation(*store.db, running.id, "tn_a", 2'000).value());

    auto queued = queued_operations(*store.db, web.id, 5'000, 10);
    REQUIRE(queued);
    REQUIRE(queued.value().size() == 2);
    CHECK(queued.value()[0].id == first.id);
    CHECK(queued.value()[1].id == last.id);
    CHECK(queued_operations(*store.db, web.id, 4'999, 10).value().size() == 3);
    auto one = queued_operations(*store.db, web.id, 5'000, 1);
    REQUIRE(one.value().size() == 1);
    CHECK(one.value()[0].id == first.id);
    CHECK(queued_operations(*store.db, web.id, 5'000, 0).value().empty());
    CHECK(expired.status == OperationStatus::queued);
}

TEST_CASE("operations: start moves only a queued operation within its deadline to running, once") {
    OperationDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    Operation operation = store.submit(request_for(web));

    CHECK(start_operation(*store.db, operation.id, "tn_a", 2'000).value());
    Operation running = store.reload(operation);
    CHECK(running.status == OperationStatus::running);
    CHECK(running.started_at_ms == 2'000);
    CHECK(running.tunnel_id == "tn_a");

    CHECK_FALSE(start_operation(*store.db, operation.id, "tn_b", 3'000).value());
    CHECK(store.reload(operation).tunnel_id == "tn_a");
    CHECK(store.reload(operation).started_at_ms == 2'000);

    Operation late = store.submit(request_for(web, 5'000));
    CHECK_FALSE(start_operation(*store.db, late.id, "tn_a", 5'000).value());
    CHECK(store.reload(late).status == OperationStatus::queued);

    Operation cancelled = store.submit(request_for(web));
    REQUIRE(finish_operation(*store.db, cancelled.id, OperationStatus::cancelled, {}, 2'500).value());
    CHECK_FALSE(start_operation(*store.db, cancelled.id, "tn_a", 3'000).value());
    CHECK(store.reload(cancelled).status == OperationStatus::cancelled);
    CHECK_FALSE(start_operation(*store.db, 999, "tn_a", 3'000).value());
}

TEST_CASE("operations: the first outcome wins; a second finish changes nothing") {
    OperationDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    Operation operation = store.submit(request_for(web));
    REQUIRE(start_operation(*store.db, operation.id, "tn_a", 2'000).value());

    CHECK(finish_operation(*store.db, operation.id, OperationStatus::succeeded, {.result = R"({"ok":true})"}, 3'000)
              .value());
    Operation done = store.reload(operation);
    CHECK(done.status == OperationStatus::succeeded);
    CHECK(done.finished_at_ms == 3'000);
    CHECK(done.result == R"({"ok":true})");
    CHECK_FALSE(done.error_code.has_value());

    OperationOutcome failure{std::nullopt, "internal", "boom"};
    CHECK_FALSE(finish_operation(*store.db, operation.id, OperationStatus::failed, failure, 4'000).value());
    Operation still = store.reload(operation);
    CHECK(still.status == OperationStatus::succeeded);
    CHECK(still.finished_at_ms == 3'000);
    CHECK(still.result == R"({"ok":true})");
    CHECK_FALSE(still.error_code.has_value());

    // Cancelling before any runner took it finishes it straight from queued.
    Operation queued = store.submit(request_for(web));
    OperationOutcome cancel{std::nullopt, "cancelled", "cancelled by service-account:acme/ci"};
    CHECK(finish_operation(*store.db, queued.id, OperationStatus::cancelled, cancel, 2'500).value());
    CHECK(store.reload(queued).error_message == "cancelled by service-account:acme/ci");

    auto not_final = finish_operation(*store.db, queued.id, OperationStatus::running, {}, 2'600);
    CHECK_FALSE(not_final);
}

TEST_CASE("operations: a late answer after a timeout does not overwrite it") {
    OperationDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    Operation operation = store.submit(request_for(web, 5'000));
    REQUIRE(start_operation(*store.db, operation.id, "tn_a", 2'000).value());
    REQUIRE(expire_operations(*store.db, 5'000).value().size() == 1);

    CHECK_FALSE(
        finish_operation(*store.db, operation.id, OperationStatus::succeeded, {.result = "{}"}, 5'100).value());
    Operation timed_out = store.reload(operation);
    CHECK(timed_out.status == OperationStatus::timed_out);
    CHECK(timed_out.finished_at_ms == 5'000);
    CHECK(timed_out.error_code == "deadline_exceeded");
    CHECK_FALSE(timed_out.result.has_value());
}

TEST_CASE("operations: expiry times out queued and running work at its deadline and says which it was") {
    OperationDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    Operation queued = store.submit(request_for(web, 5'000));
    Operation running = store.submit(request_for(web, 5'000));
    Operation later = store.submit(request_for(web, 9'000));
    Operation done = store.submit(request_for(web, 4'000));
    REQUIRE(start_operation(*store.db, running.id, "tn_a", 2'000).value());
    REQUIRE(finish_operation(*store.db, done.id, OperationStatus::succeeded, {.result = "{}"}, 3'000).value());
    CHECK(next_deadline_ms(*store.db).value() == 5'000);

    CHECK(expire_operations(*store.db, 4'999).value().empty());
    auto expired = expire_operations(*store.db, 5'000);
    REQUIRE(expired);
    REQUIRE(expired.value().size() == 2);
    CHECK(expired.value()[0].id == queued.id);
    CHECK(expired.value()[0].status == OperationStatus::timed_out);
    CHECK(expired.value()[0].error_code == "deadline_exceeded");
    CHECK(expired.value()[0].error_message->find("while the operation was queued") != std::string::npos);
    CHECK_FALSE(expired.value()[0].tunnel_id.has_value());
    CHECK(expired.value()[1].id == running.id);
    CHECK(expired.value()[1].error_message->find("while the operation was running") != std::string::npos);
    CHECK(expired.value()[1].tunnel_id == "tn_a");
    CHECK(expired.value()[1].finished_at_ms == 5'000);

    CHECK(store.reload(later).status == OperationStatus::queued);
    CHECK(store.reload(done).status == OperationStatus::succeeded);
    CHECK(expire_operations(*store.db, 5'000).value().empty());
    CHECK(next_deadline_ms(*store.db).value() == 9'000);
    REQUIRE(expire_operations(*store.db, 9'000).value().size() == 1);
    CHECK_FALSE(next_deadline_ms(*store.db).value().has_value());
}

TEST_CASE("operations: a lost tunnel fails only its own running work; a restart fails all running work") {
    OperationDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    Operation on_a = store.submit(request_for(web));
    Operation on_b = store.submit(request_for(web));
    Operation waiting = store.submit(request_for(web));
    REQUIRE(start_operation(*store.db, on_a.id, "tn_a", 2'000).value());
    REQUIRE(start_operation(*store.db, on_b.id, "tn_b", 2'000).value());

    auto lost = fail_running_operations(*store.db, std::string("tn_a"), "runner_disconnected",
                                        "the runner disconnected while the operation ran", 3'000);
    REQUIRE(lost);
    REQUIRE(lost.value().size() == 1);
    CHECK(lost.value()[0].id == on_a.id);
    CHECK(lost.value()[0].status == OperationStatus::failed);
    CHECK(lost.value()[0].error_code == "runner_disconnected");
    CHECK(lost.value()[0].error_message == "the runner disconnected while the operation ran");
    CHECK(lost.value()[0].finished_at_ms == 3'000);
    CHECK(store.reload(on_b).status == OperationStatus::running);
    CHECK(store.reload(waiting).status == OperationStatus::queued);

    auto restarted = fail_running_operations(*store.db, std::nullopt, "interrupted", "the server restarted", 4'000);
    REQUIRE(restarted);
    REQUIRE(restarted.value().size() == 1);
    CHECK(restarted.value()[0].id == on_b.id);
    CHECK(restarted.value()[0].error_code == "interrupted");
    CHECK(store.reload(on_a).error_code == "runner_disconnected");
    CHECK(store.reload(waiting).status == OperationStatus::queued);
    CHECK(fail_running_operations(*store.db, std::nullopt, "interrupted", "again", 5'000).value().empty());
}
