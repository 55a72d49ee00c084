#include <catch2/catch.hpp>

#include "services/gateway/web/grpc_web_codec.h"

namespace uwallet::gateway::grpcweb {
namespace {

TEST_CASE("content types") {
  REQUIRE(*ParseContentType("application/grpc-web") == Encoding::kBinary);
  REQUIRE(*ParseContentType("application/grpc-web+proto") == Encoding::kBinary);
  REQUIRE(*ParseContentType("Application/GRPC-Web-Text; charset=utf-8") == Encoding::kText);
  REQUIRE(*ParseContentType("application/grpc-web-text+proto") == Encoding::kText);
  REQUIRE_FALSE(ParseContentType("application/grpc-web+json").ok());
  REQUIRE_FALSE(ParseContentType("text/plain").ok());
}

TEST_CASE("a request frame decodes, in binary and in text (several base64 chunks)") {
  const std::string frame = DataFrame("hello");
  REQUIRE(frame.size() == 10);
  REQUIRE(frame[0] == 0);
  REQUIRE(frame[4] == 5);
  REQUIRE(*DecodeRequest(frame, Encoding::kBinary, 100) == "hello");
  REQUIRE(*DecodeRequest(Base64Encode(frame), Encoding::kText, 100) == "hello");
  // Split into two padded base64 chunks, as a streaming text client may send.
  const std::string chunked = Base64Encode(frame.substr(0, 4)) + Base64Encode(frame.substr(4));
  REQUIRE(*DecodeRequest(chunked, Encoding::kText, 100) == "hello");
  REQUIRE(*DecodeRequest(DataFrame(""), Encoding::kBinary, 100) == "");
}

TEST_CASE("malformed requests get clean errors") {
  const std::string frame = DataFrame("hello");
  using C = absl::StatusCode;
  REQUIRE(DecodeRequest("", Encoding::kBinary, 100).status().code() == C::kInvalidArgument);
  REQUIRE(DecodeRequest(frame.substr(0, 3), Encoding::kBinary, 100).status().code() ==
          C::kInvalidArgument);  // truncated header
  REQUIRE(DecodeRequest(frame.substr(0, 7), Encoding::kBinary, 100).status().code() ==
          C::kInvalidArgument);  // truncated message
  std::string trailer = frame;
  trailer[0] = static_cast<char>(0x80);
  REQUIRE(DecodeRequest(trailer, Encoding::kBinary, 100).status().code() == C::kInvalidArgument);
  std::string compressed = frame;
  compressed[0] = 1;
  REQUIRE(DecodeRequest(compressed, Encoding::kBinary, 100).status().code() == C::kUnimplemented);
  REQUIRE(DecodeRequest(frame + frame, Encoding::kBinary, 100).status().code() ==
          C::kInvalidArgument);  // two messages
  REQUIRE(DecodeRequest(frame, Encoding::kBinary, 4).status().code() == C::kResourceExhausted);
  // A huge declared length is refused before anything is allocated.
  std::string huge = frame;
  huge[1] = static_cast<char>(0x7f);
  REQUIRE(DecodeRequest(huge, Encoding::kBinary, 1 << 20).status().code() == C::kResourceExhausted);
  REQUIRE(DecodeRequest("AAAAA", Encoding::kText, 100).status().code() == C::kInvalidArgument);
  REQUIRE(DecodeRequest("AA*=", Encoding::kText, 100).status().code() == C::kInvalidArgument);
  REQUIRE(DecodeRequest("A=AA", Encoding::kText, 100).status().code() == C::kInvalidArgument);
}

TEST_CASE("trailers carry status, percent-encoded message and details") {
  const std::string frame = TrailerFrame(
      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "余额不足 100%", "\x01\x02"));
  REQUIRE(static_cast<uint8_t>(frame[0]) == 0x80);
  const std::string block = frame.substr(5);
  REQUIRE(block.find("grpc-status:9\r\n") == 0);
  REQUIRE(block.find("grpc-message:%E4%BD%99%E9%A2%9D%E4%B8%8D%E8%B6%B3 100%25\r\n") !=
          std::string::npos);
  REQUIRE(block.find("grpc-status-details-bin:AQI=\r\n") != std::string::npos);
  REQUIRE(TrailerFrame(grpc::Status::OK).substr(5) == "grpc-status:0\r\n");
}

TEST_CASE("grpc-timeout") {
  using namespace std::chrono;
  REQUIRE(*ParseGrpcTimeout("10S") == seconds(10));
  REQUIRE(*ParseGrpcTimeout("250m") == milliseconds(250));
  REQUIRE(*ParseGrpcTimeout("1H") == hours(1));
  REQUIRE(*ParseGrpcTimeout("5n") == nanoseconds(5));
  REQUIRE_FALSE(ParseGrpcTimeout("10").ok());
  REQUIRE_FALSE(ParseGrpcTimeout("10s").ok());         // "s" is not a unit (S is)
  REQUIRE_FALSE(ParseGrpcTimeout("123456789S").ok());  // 9 digits
  REQUIRE_FALSE(ParseGrpcTimeout("-1S").ok());
}

}  // namespace
}  // namespace uwallet::gateway::grpcweb
