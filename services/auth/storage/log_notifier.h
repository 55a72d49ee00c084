#pragma once
// The notifier used when no delivery provider is configured and the development mailbox is off:
// it delivers nothing and says so in the log (kind and masked destination only, never a code),
// so that a deployment without a provider is visibly broken instead of silently storing codes.

#include "services/auth/core/contacts.h"
#include "uwallet/common/log.h"
#include "uwallet/notify/notifier.h"

namespace uwallet::auth {

class LogOnlyNotifier final : public notify::Notifier {
 public:
  [[nodiscard]] absl::Status Send(const notify::Notification& notification) override {
    const bool email = notification.destination.find('@') != std::string::npos;
    log::Warn("notification not delivered: no provider configured",
              {{"kind", notification.kind},
               {"to", MaskContact(Contact{email ? ContactKind::kEmail : ContactKind::kPhone,
                                          notification.destination})}});
    return absl::OkStatus();
  }
};

}  // namespace uwallet::auth
