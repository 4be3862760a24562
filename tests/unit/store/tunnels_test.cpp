#include <doctest/doctest.h>

#include <string>

#include "tether/store/identities.h"
#include "tether/store/runners.h"
#include "tether/store/tunnels.h"
#include "temp_database.h"

using namespace tether;
using namespace tether::store;

namespace {

struct TunnelDatabase : testing::TempDatabase {
    Org acme = create_org(*db, "acme", 1).value();
    Org globex = create_org(*db, "globex", 1).value();

    Runner add_runner(const Org& org, const std::string& name) {
        auto account = create_service_account(*db, org, "runner-" + name, AccountKind::runner, auth::Role::viewer, 2);
        REQUIRE(account);
        auto runner = insert_runner(*db, org.id, name, "rn_" + org.name + "_" + name, account.value().id, 3);
        REQUIRE(runner);
        return runner.value();
    }

    TunnelRecord connect(const Runner& runner, const std::string& id, const std::string& instance,
                         std::int64_t at_ms) {
        TunnelRecord record{id,        runner.id,  instance, "10.0.0.7:51234", "0.3.0",
                            "web-host", "fp-" + id, "key-" + id, at_ms};
        REQUIRE(insert_tunnel(*db, record));
        return record;
    }
};

std::vector<std::string> ids(const Result<std::vector<TunnelRecord>>& tunnels) {
    REQUIRE(tunnels);
    std::vector<std::string> out;
    for (const TunnelRecord& tunnel : tunnels.value()) out.push_back(tunnel.id);
    return out;
}

}  // namespace

TEST_CASE("tunnels: recorded with every field, listed per runner oldest first, and deleted") {
    TunnelDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    store.connect(web, "tn_later", "server-a", 2'000);
    TunnelRecord first = store.connect(web, "tn_first", "server-a", 1'000);

    auto listed = list_tunnels_of_runner(*store.db, web.id);
    REQUIRE(listed);
    REQUIRE(listed.value().size() == 2);
    const TunnelRecord& read = listed.value()[0];
    CHECK(read.id == first.id);
    CHECK(read.runner_id == web.id);
    CHECK(read.server_instance == "server-a");
    CHECK(read.peer_address == "10.0.0.7:51234");
    CHECK(read.runner_version == "0.3.0");
    CHECK(read.hostname == "web-host");
    CHECK(read.certificate_fingerprint == "fp-tn_first");
    CHECK(read.key_id == "key-tn_first");
    CHECK(read.connected_at_ms == 1'000);

    REQUIRE(delete_tunnel(*store.db, "tn_first"));
    CHECK(ids(list_tunnels_of_runner(*store.db, web.id)) == std::vector<std::string>{"tn_later"});
    CHECK(delete_tunnel(*store.db, "tn_first"));  // already gone: not an error
}

TEST_CASE("tunnels: an org's list holds only its own runners' tunnels") {
    TunnelDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    Runner db = store.add_runner(store.acme, "db-1");
    Runner foreign = store.add_runner(store.globex, "web-1");
    store.connect(db, "tn_db", "server-a", 1'000);
    store.connect(web, "tn_web", "server-a", 2'000);
    store.connect(foreign, "tn_foreign", "server-a", 1'500);

    CHECK(ids(list_tunnels_of_org(*store.db, store.acme.id)) == std::vector<std::string>{"tn_web", "tn_db"});
    CHECK(ids(list_tunnels_of_org(*store.db, store.globex.id)) == std::vector<std::string>{"tn_foreign"});
    CHECK(ids(list_tunnels_of_runner(*store.db, db.id)) == std::vector<std::string>{"tn_db"});
}

TEST_CASE("tunnels: a server instance's tunnels go together and leave other instances' tunnels") {
    TunnelDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    store.connect(web, "tn_a1", "server-a", 1'000);
    store.connect(web, "tn_b1", "server-b", 1'100);
    store.connect(web, "tn_a2", "server-a", 1'200);

    REQUIRE(delete_tunnels_of_instance(*store.db, "server-a"));
    CHECK(ids(list_tunnels_of_runner(*store.db, web.id)) == std::vector<std::string>{"tn_b1"});
}

TEST_CASE("tunnels: an id cannot be recorded twice") {
    TunnelDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    TunnelRecord record = store.connect(web, "tn_once", "server-a", 1'000);
    auto again = insert_tunnel(*store.db, record);
    REQUIRE_FALSE(again);
    CHECK(again.error().kind == ErrorKind::already_exists);
    CHECK(again.error().message == "tunnel 'tn_once' is already recorded");
}

TEST_CASE("tunnels: touching a runner sets when it was last seen, and only for that runner") {
    TunnelDatabase store;
    Runner web = store.add_runner(store.acme, "web-1");
    Runner db = store.add_runner(store.acme, "db-1");
    CHECK_FALSE(web.last_seen_at.has_value());
    REQUIRE(touch_runner_seen(*store.db, web.id, 1'700'000'000));
    CHECK(find_runner(*store.db, store.acme.id, "web-1").value().last_seen_at == 1'700'000'000);
    CHECK_FALSE(find_runner(*store.db, store.acme.id, "db-1").value().last_seen_at.has_value());
    REQUIRE(touch_runner_seen(*store.db, web.id, 1'700'000'060));
    CHECK(find_runner(*store.db, store.acme.id, "web-1").value().last_seen_at == 1'700'000'060);
}
