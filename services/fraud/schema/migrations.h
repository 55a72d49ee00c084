#pragma once
// The fraud schema: the shared outbox tables (version 0, libs/events) and this folder's
// NNNN_name.sql files, compiled into the binary.

#include <vector>

#include "uwallet/pg/migrate.h"

namespace uwallet::fraud {

[[nodiscard]] std::vector<pg::Migration> Migrations();

}  // namespace uwallet::fraud
