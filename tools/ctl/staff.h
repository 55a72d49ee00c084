#pragma once
// uwctl commands that act as a staff member through the gateway.

#include <string>
#include <vector>

#include "tools/ctl/args.h"

namespace uwallet::ctl {

// `command` is "staff create", "user find", "user show", "audit" or "trial-balance".
int StaffCommand(const std::string& command, const std::vector<std::string>& argv);

}  // namespace uwallet::ctl
