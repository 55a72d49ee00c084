// uwctl: the operator's command line for uwallet, built on the gRPC APIs.
//
//   uwctl health [--wait=60s] [TLS flags] ADDR...   every address answers grpc.health.v1 SERVING
//
// TLS flags (all optional; without --tls-ca the call is plaintext):
//   --tls-ca=FILE            CA (PEM) the server certificate must chain to: the call uses TLS
//   --tls-cert=FILE          client certificate (PEM) for servers that require mTLS
//   --tls-key=FILE           its private key (PEM)
//   --tls-server-name=NAME   expect this name in the server certificate instead of ADDR's host
//
// Exit status: 0 on success, 1 when a check fails, 2 on bad usage.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

constexpr char kUsage[] =
    "usage: uwctl health [--wait=DURATION] [--tls-ca=FILE [--tls-cert=FILE --tls-key=FILE]\n"
    "                    [--tls-server-name=NAME]] ADDR...\n"
    "  health   checks grpc.health.v1 on every address; with --wait, retries until all are\n"
    "           SERVING or the time is up; with --tls-ca over TLS (--tls-cert/--tls-key: mTLS)\n";

struct TlsFlags {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
};

bool ReadFile(const std::string& path, std::string* contents) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  *contents = text.str();
  return true;
}

struct Connection {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  grpc::ChannelArguments arguments;
};

// Plaintext without --tls-ca; TLS (and mTLS with a client certificate) with it. Returns an error
// message, empty on success.
std::string MakeConnection(const TlsFlags& tls, Connection* connection) {
  if (tls.ca_file.empty()) {
    if (!tls.cert_file.empty() || !tls.key_file.empty() || !tls.server_name.empty()) {
      return "--tls-cert, --tls-key and --tls-server-name need --tls-ca";
    }
    connection->credentials = grpc::InsecureChannelCredentials();
    return "";
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return "--tls-cert and --tls-key go together";
  }
  grpc::SslCredentialsOptions ssl;
  if (!ReadFile(tls.ca_file, &ssl.pem_root_certs)) return "cannot read " + tls.ca_file;
  if (!tls.cert_file.empty()) {
    if (!ReadFile(tls.cert_file, &ssl.pem_cert_chain)) return "cannot read " + tls.cert_file;
    if (!ReadFile(tls.key_file, &ssl.pem_private_key)) return "cannot read " + tls.key_file;
  }
  connection->credentials = grpc::SslCredentials(ssl);
  if (!tls.server_name.empty()) {
    connection->arguments.SetSslTargetNameOverride(tls.server_name);
  }
  return "";
}

std::string CheckOnce(const std::string& address, const Connection& connection) {
  auto channel = grpc::CreateCustomChannel(address, connection.credentials, connection.arguments);
  auto stub = Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, HealthCheckRequest(), &response);
  if (!status.ok()) return "unreachable (" + status.error_message() + ")";
  return HealthCheckResponse::ServingStatus_Name(response.status());
}

int HealthCommand(const std::vector<std::string>& args) {
  absl::Duration wait = absl::ZeroDuration();
  TlsFlags tls;
  const std::vector<std::pair<std::string, std::string*>> tls_flags = {
      {"--tls-ca=", &tls.ca_file},
      {"--tls-cert=", &tls.cert_file},
      {"--tls-key=", &tls.key_file},
      {"--tls-server-name=", &tls.server_name}};
  std::vector<std::string> addresses;
  for (const std::string& arg : args) {
    bool matched = false;
    for (const auto& [prefix, target] : tls_flags) {
      if (absl::StartsWith(arg, prefix)) {
        *target = arg.substr(prefix.size());
        matched = true;
      }
    }
    if (matched) continue;
    if (absl::StartsWith(arg, "--wait=")) {
      if (!absl::ParseDuration(arg.substr(7), &wait)) {
        std::fprintf(stderr, "bad duration in %s\n%s", arg.c_str(), kUsage);
        return 2;
      }
    } else if (absl::StartsWith(arg, "--")) {
      std::fprintf(stderr, "unknown flag %s\n%s", arg.c_str(), kUsage);
      return 2;
    } else {
      addresses.push_back(arg);
    }
  }
  if (addresses.empty()) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  Connection connection;
  if (std::string error = MakeConnection(tls, &connection); !error.empty()) {
    std::fprintf(stderr, "%s\n%s", error.c_str(), kUsage);
    return 2;
  }
  const absl::Time deadline = absl::Now() + wait;
  std::vector<std::string> states(addresses.size());
  while (true) {
    bool all = true;
    for (size_t i = 0; i < addresses.size(); ++i) {
      if (states[i] != "SERVING") states[i] = CheckOnce(addresses[i], connection);
      all = all && states[i] == "SERVING";
    }
    if (all || absl::Now() >= deadline) {
      for (size_t i = 0; i < addresses.size(); ++i) {
        std::printf("%-22s %s\n", addresses[i].c_str(), states[i].c_str());
      }
      return all ? 0 : 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  const std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "health") return HealthCommand(args);
  std::fprintf(stderr, "unknown command '%s'\n%s", command.c_str(), kUsage);
  return 2;
}
