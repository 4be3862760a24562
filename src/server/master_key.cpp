#include "tether/server/master_key.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "connection_material.h"
#include "secret_material.h"
#include "tether/core/error.h"
#include "tether/crypto/envelope.h"
#include "tether/crypto/random.h"
#include "tether/crypto/secret_file.h"
#include "tether/server/data_dir.h"
#include "tether/store/database.h"
#include "tether/store/migrations.h"
#include "tether/store/secrets.h"
#include "tether/store/statement.h"

namespace tether::server {
namespace {

std::string identity_of(const store::SealedRecord& record) {
    return record.table == store::SealedRecord::Table::org_key ? org_key_identity(record.id)
                                                                : connection_record_identity(record.org, record.name);
}

std::string describe(const store::SealedRecord& record) {
    return record.table == store::SealedRecord::Table::org_key ? "the key of org " + record.org
                                                                : "connection " + record.org + "/" + record.name;
}

// Whether the store is already sealed under `key`: every record opens
// with it (an empty store is under any key).
bool store_sealed_under(const std::vector<store::SealedRecord>& records, const Secret& key) {
    for (const auto& record : records) {
        if (!crypto::open(key, identity_of(record), record.sealed)) return false;
    }
    return true;
}

void sync_directory(const std::filesystem::path& dir) {
    int descriptor = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (descriptor < 0) return;
    ::fsync(descriptor);
    ::close(descriptor);
}

void install_next_key(const DataDir& data) {
    std::error_code ec;
    std::filesystem::rename(data.next_master_key(), data.master_key(), ec);
    if (ec) fail(ExitCode::cannot_create, "cannot move the new master key into place: " + ec.message());
    sync_directory(data.root);
}

}  // namespace

int rotate_master_key(const std::filesystem::path& data_dir) {
    DataDir data{data_dir};
    if (!std::filesystem::exists(data.master_key())) {
        fail(ExitCode::config, "data dir " + data.root.string() + " has no master key: is it initialised?");
    }
    auto lock = DataDirLock::acquire(data);
    if (!lock) fail(ExitCode::unavailable, lock.error().message + "; stop the server before rotating its master key");
    auto old_key = read_master_key(data.master_key());
    if (!old_key) fail(ExitCode::config, "cannot use " + data.master_key().string() + ": " + old_key.error().message);

    auto database = store::Database::open(data.database());
    if (!database) fail(ExitCode::unavailable, database.error().message);
    if (auto migrated = store::migrate(database.value()); !migrated) fail(migrated.error());
    auto records = store::list_master_sealed(database.value());
    if (!records) fail(records.error());

    // A rotation that stopped halfway: its new key is in master.key.next.
    if (std::filesystem::exists(data.next_master_key())) {
        auto next_key = read_master_key(data.next_master_key());
        if (!next_key) fail(ExitCode::config, "cannot use " + data.next_master_key().string() + ": " + next_key.error().message);
        if (!records.value().empty() && store_sealed_under(records.value(), next_key.value())) {
            install_next_key(data);  // the store had committed: only the rename was left
            std::cout << "finished an interrupted rotation: master key " << crypto::master_key_id(next_key.value())
                      << " is in place\n";
            return 0;
        }
        std::filesystem::remove(data.next_master_key());  // the store never changed: start over
    }

    Secret new_key(crypto::random_hex(32));
    auto parsed_new = crypto::parse_master_key(new_key.reveal());
    if (!parsed_new) fail(parsed_new.error());
    if (auto written = crypto::write_private_file(data.next_master_key(), new_key.reveal(), false); !written) {
        fail(ExitCode::cannot_create, "cannot write " + data.next_master_key().string() + ": " + written.error().message);
    }

    std::size_t org_keys = 0, connections = 0;
    {
        auto transaction = store::Transaction::begin(database.value());
        if (!transaction) fail(transaction.error());
        for (auto record : records.value()) {
            auto rewrapped = crypto::rewrap(old_key.value(), parsed_new.value(), identity_of(record), record.sealed);
            if (!rewrapped) {
                std::filesystem::remove(data.next_master_key());
                fail(ExitCode::data, "cannot rewrap " + describe(record) + ": " + rewrapped.error().message +
                                               "; nothing was changed");
            }
            record.sealed = std::move(rewrapped).value();
            if (auto updated = store::update_master_sealed(database.value(), record); !updated) fail(updated.error());
            ++(record.table == store::SealedRecord::Table::org_key ? org_keys : connections);
        }
        if (auto committed = transaction.value().commit(); !committed) fail(committed.error());
    }
    install_next_key(data);
    std::cout << "master key rotated: " << crypto::master_key_id(old_key.value()) << " -> "
              << crypto::master_key_id(parsed_new.value()) << "; rewrapped " << org_keys << " org key"
              << (org_keys == 1 ? "" : "s") << " and the inline credentials of " << connections << " connection"
              << (connections == 1 ? "" : "s") << "\n"
              << "Backups made before now need the old key to open their secrets.\n";
    return 0;
}

}  // namespace tether::server
