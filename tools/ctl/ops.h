#pragma once
// uwctl commands that talk to the servers directly: health (grpc.health.v1) and outbox replay
// (the service's database).

#include <string>
#include <vector>

namespace uwallet::ctl {

int HealthCommand(const std::vector<std::string>& argv);
int OutboxReplayCommand(const std::vector<std::string>& argv);

}  // namespace uwallet::ctl
