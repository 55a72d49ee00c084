#include "tools/ctl/args.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"

namespace uwallet::ctl {
namespace {

bool ReadWholeFile(const std::string& path, std::string* contents) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  *contents = text.str();
  return true;
}

}  // namespace

const std::vector<std::string> kTlsFlags = {"tls-ca", "tls-cert", "tls-key", "tls-server-name"};

Args Args::Parse(const std::vector<std::string>& argv, const std::vector<std::string>& known,
                 std::string* error) {
  Args args;
  for (const std::string& arg : argv) {
    if (!absl::StartsWith(arg, "--")) {
      args.positional.push_back(arg);
      continue;
    }
    const size_t equals = arg.find('=');
    const std::string name =
        arg.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    const std::string value = equals == std::string::npos ? "true" : arg.substr(equals + 1);
    bool is_known = false;
    for (const std::string& k : known) is_known = is_known || k == name;
    if (!is_known) {
      *error = "unknown flag --" + name;
      return args;
    }
    args.flags[name] = value;
  }
  return args;
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = flags.find(name);
  return it == flags.end() ? fallback : it->second;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, const Args& args,
                                           std::string* error) {
  const std::string ca = args.Get("tls-ca");
  const std::string cert = args.Get("tls-cert");
  const std::string key = args.Get("tls-key");
  const std::string server_name = args.Get("tls-server-name");
  grpc::ChannelArguments arguments;
  if (ca.empty()) {
    if (!cert.empty() || !key.empty() || !server_name.empty()) {
      *error = "--tls-cert, --tls-key and --tls-server-name need --tls-ca";
      return nullptr;
    }
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
  }
  if (cert.empty() != key.empty()) {
    *error = "--tls-cert and --tls-key go together";
    return nullptr;
  }
  grpc::SslCredentialsOptions ssl;
  if (!ReadWholeFile(ca, &ssl.pem_root_certs)) {
    *error = "cannot read " + ca;
    return nullptr;
  }
  if (!cert.empty() &&
      (!ReadWholeFile(cert, &ssl.pem_cert_chain) || !ReadWholeFile(key, &ssl.pem_private_key))) {
    *error = "cannot read " + cert + " or " + key;
    return nullptr;
  }
  if (!server_name.empty()) arguments.SetSslTargetNameOverride(server_name);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), arguments);
}

}  // namespace uwallet::ctl
