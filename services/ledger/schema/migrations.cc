#include "services/ledger/schema/migrations.h"

#include "uwallet/events/events.h"

namespace uwallet::ledger {

std::vector<pg::Migration> EmbeddedMigrations();  // generated from schema/*.sql

std::vector<pg::Migration> Migrations() {
  std::vector<pg::Migration> migrations = {events::OutboxMigration()};
  for (auto& migration : EmbeddedMigrations()) migrations.push_back(std::move(migration));
  return migrations;
}

}  // namespace uwallet::ledger
