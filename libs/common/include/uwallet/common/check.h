#pragma once
// Invariant checks. A failed check is a bug, not bad input: it logs and aborts. Bad input is
// answered with an absl::Status instead.

#include <cstdio>
#include <cstdlib>
#include <string>

#define UW_CHECK(condition)                                                                 \
  do {                                                                                      \
    if (!(condition)) [[unlikely]] {                                                        \
      std::fprintf(stderr,                                                                  \
                   "{\"level\":\"fatal\",\"msg\":\"check failed: %s\",\"at\":\"%s:%d\"}\n", \
                   #condition, __FILE__, __LINE__);                                         \
      std::abort();                                                                         \
    }                                                                                       \
  } while (false)

#define UW_CHECK_OK(expr)                                                                   \
  do {                                                                                      \
    if (auto uw_check_status_ = (expr); !uw_check_status_.ok()) [[unlikely]] {              \
      std::fprintf(stderr,                                                                  \
                   "{\"level\":\"fatal\",\"msg\":\"check failed: %s\",\"at\":\"%s:%d\"}\n", \
                   std::string(uw_check_status_.ToString()).c_str(), __FILE__, __LINE__);   \
      std::abort();                                                                         \
    }                                                                                       \
  } while (false)
