#include "uwallet/common/clock.h"

namespace uwallet {

RealClock& RealClock::Instance() {
  static RealClock* clock = new RealClock();
  return *clock;
}

}  // namespace uwallet
