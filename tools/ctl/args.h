#pragma once
// Command-line plumbing shared by the uwctl commands: `--name=value` flags, positional arguments,
// and the channel to a server (plaintext, TLS or mTLS).

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace uwallet::ctl {

// Exit statuses of every command.
inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;    // a check failed or the server refused
inline constexpr int kBadUsage = 2;  // unknown flag, missing argument

struct Args {
  std::map<std::string, std::string> flags;  // "--wait=5s" -> {"wait", "5s"}; "--dry-run" -> "true"
  std::vector<std::string> positional;

  // Splits argv; flags the command does not know are errors (reported in `error`).
  static Args Parse(const std::vector<std::string>& argv, const std::vector<std::string>& known,
                    std::string* error);
  [[nodiscard]] std::string Get(const std::string& name, const std::string& fallback = "") const;
  [[nodiscard]] bool Has(const std::string& name) const { return flags.count(name) > 0; }
};

// The TLS flags every networked command takes: --tls-ca, --tls-cert, --tls-key, --tls-server-name.
extern const std::vector<std::string> kTlsFlags;

// A channel to `address` with the TLS flags of `args`. Returns nullptr and sets `error` when the
// flags are inconsistent or a file cannot be read.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, const Args& args,
                                           std::string* error);

}  // namespace uwallet::ctl
