// Password hashing (PBKDF2-HMAC-SHA256), the password file format and verify().

#include "auth/password_file.hpp"

#include <gtest/gtest.h>

#include <set>

#include "auth_test_util.hpp"

namespace gridmq::auth {
namespace {

constexpr std::uint32_t kFast = pbkdf2::kMinIterations;  // the floor keeps the tests quick

std::string parse_error(std::string_view text) {
  try {
    (void)PasswordFile::parse(text, "pw.txt");
  } catch (const PasswordFileError& e) {
    return e.what();
  }
  return "";
}

TEST(Base64, RoundTripsAndIsStrict) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
  for (const std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(base64_decode(base64_encode(text)), text);
  }
  EXPECT_EQ(base64_decode("Zg"), std::nullopt);  // padding required
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zh=="), std::nullopt);  // non-canonical trailing bits
  EXPECT_EQ(base64_decode("Z==="), std::nullopt);
  EXPECT_EQ(base64_decode("Zg==Zg=="), std::nullopt);  // padding only at the end
  EXPECT_EQ(base64_decode("Zm9v!"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm 9v"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm-_"), std::nullopt);  // no URL-safe alphabet
}

TEST(PasswordHash, FormatAndVerify) {
  const std::string encoded = hash_password("correct horse", kFast);
  EXPECT_TRUE(encoded.starts_with("$pbkdf2-sha256$100000$")) << encoded;
  EXPECT_EQ(check_password_hash(encoded), "");
  EXPECT_TRUE(verify_password_hash("correct horse", encoded));
  EXPECT_FALSE(verify_password_hash("correct horse ", encoded));
  EXPECT_FALSE(verify_password_hash("", encoded));
  EXPECT_FALSE(verify_password_hash("correct horse", "$pbkdf2-sha256$100000$xx$yy"));
}

TEST(PasswordHash, SaltIsRandomAndSixteenBytes) {
  const std::string a = hash_password("same", kFast);
  const std::string b = hash_password("same", kFast);
  EXPECT_NE(a, b);
  // "$pbkdf2-sha256$100000$<salt>$<hash>": 16 salt bytes are 24 base64 characters.
  const auto salt_start = a.find('$', 16) + 1;
  const auto salt_end = a.find('$', salt_start);
  EXPECT_EQ(base64_decode(a.substr(salt_start, salt_end - salt_start))->size(), 16u);
  EXPECT_EQ(base64_decode(a.substr(salt_end + 1))->size(), 32u);
}

TEST(PasswordHash, KnownVector) {
  // PBKDF2-HMAC-SHA256("password", "saltsaltsaltsalt", 100000, 32), computed independently with
  // Python's hashlib.pbkdf2_hmac.
  const std::string encoded = "$pbkdf2-sha256$100000$" + base64_encode("saltsaltsaltsalt") + "$" +
                              "T78tEi/mr8Yageny/jk6s5+Qanjd3ceXdjwOeEhX6bQ=";
  EXPECT_TRUE(verify_password_hash("password", encoded));
  EXPECT_FALSE(verify_password_hash("Password", encoded));
}

TEST(PasswordHash, IterationsFloorAndCeiling) {
  EXPECT_THROW(hash_password("x", pbkdf2::kMinIterations - 1), std::runtime_error);
  EXPECT_THROW(hash_password("x", pbkdf2::kMaxIterations + 1), std::runtime_error);
  const std::string salt = base64_encode("0123456789abcdef");
  const std::string hash = base64_encode(std::string(32, 'h'));
  EXPECT_NE(check_password_hash("$pbkdf2-sha256$99999$" + salt + "$" + hash).find("iterations"),
            std::string::npos);
  EXPECT_NE(check_password_hash("$pbkdf2-sha256$10000001$" + salt + "$" + hash), "");
  EXPECT_NE(check_password_hash("$pbkdf2-sha256$99999999999999999999999$" + salt + "$" + hash), "");
  EXPECT_NE(check_password_hash("$pbkdf2-sha256$+100000$" + salt + "$" + hash), "");
  EXPECT_EQ(check_password_hash("$pbkdf2-sha256$100000$" + salt + "$" + hash), "");
}

TEST(PasswordFile, VerifyRightWrongUnknown) {
  const std::string text =
      "# operators and services\n\nalice:operator:" + hash_password("s3cret", kFast) +
      "\nbilling:service:" + hash_password("other", kFast) + "\n";
  const PasswordFile file = PasswordFile::parse(text, "pw.txt");
  EXPECT_EQ(file.size(), 2u);
  EXPECT_TRUE(file.contains("alice"));
  EXPECT_FALSE(file.contains("bob"));

  EXPECT_EQ(file.verify("alice", "s3cret"), (Principal{"alice", Role::kOperator}));
  EXPECT_EQ(file.verify("billing", "other"), (Principal{"billing", Role::kService}));
  EXPECT_EQ(file.verify("alice", "other"), std::nullopt);  // another user's password
  EXPECT_EQ(file.verify("alice", "S3cret"), std::nullopt);
  EXPECT_EQ(file.verify("alice", ""), std::nullopt);
  EXPECT_EQ(file.verify("bob", "s3cret"), std::nullopt);    // unknown user
  EXPECT_EQ(file.verify("Alice", "s3cret"), std::nullopt);  // usernames are case-sensitive
  EXPECT_EQ(file.verify("", ""), std::nullopt);
}

TEST(PasswordFile, BinaryPasswordsWork) {
  const std::string password("p\0w\xff", 4);
  const PasswordFile file =
      PasswordFile::parse("svc:service:" + hash_password(password, kFast) + "\n", "pw.txt");
  EXPECT_TRUE(file.verify("svc", password).has_value());
  EXPECT_FALSE(file.verify("svc", "p").has_value());  // no truncation at NUL
}

TEST(PasswordFile, CrlfAndSurroundingBlanksAreAccepted) {
  const PasswordFile file = PasswordFile::parse(
      "  ops:operator:" + hash_password("pw", kFast) + " \r\n# end\r\n", "pw.txt");
  EXPECT_TRUE(file.verify("ops", "pw").has_value());
}

TEST(PasswordFile, EmptyFileVerifiesNobody) {
  EXPECT_EQ(PasswordFile().verify("a", "b"), std::nullopt);
  EXPECT_EQ(PasswordFile::parse("# nobody\n", "pw.txt").verify("a", "b"), std::nullopt);
}

TEST(PasswordFile, MalformedLinesNameFileAndLine) {
  const std::string good = hash_password("pw", kFast);
  const std::string salt = base64_encode("0123456789abcdef");
  const std::string hash = base64_encode(std::string(32, 'h'));

  EXPECT_EQ(parse_error("# c\nalice\n"),
            "pw.txt:2: expected '<username>:<role>:$pbkdf2-sha256$...'");
  EXPECT_EQ(parse_error("alice:operator\n"),
            "pw.txt:1: expected '<username>:<role>:$pbkdf2-sha256$...'");
  EXPECT_EQ(parse_error("\n\nalice:admin:" + good + "\n"),
            "pw.txt:3: role 'admin' cannot use a password (only operator and service can; meters "
            "and hubs use certificates)");
  EXPECT_NE(parse_error("m1:meter:" + good).find("pw.txt:1: role 'meter' cannot use a password"),
            std::string::npos);
  EXPECT_NE(parse_error("h1:hub:" + good).find("pw.txt:1: role 'hub'"), std::string::npos);
  EXPECT_NE(parse_error(":operator:" + good).find("pw.txt:1: username '' is not valid"),
            std::string::npos);
  EXPECT_NE(parse_error("a/b:operator:" + good).find("pw.txt:1: username 'a/b'"),
            std::string::npos);
  EXPECT_NE(parse_error("a b:operator:" + good).find("pw.txt:1: username"), std::string::npos);
  EXPECT_EQ(parse_error("alice:operator:$sha256$x\n"),
            "pw.txt:1: the hash must start with '$pbkdf2-sha256$'");
  EXPECT_EQ(parse_error("alice:operator:plaintext\n"),
            "pw.txt:1: the hash must start with '$pbkdf2-sha256$'");
  EXPECT_EQ(parse_error("alice:operator:$pbkdf2-sha256$100000$" + salt + "\n"),
            "pw.txt:1: expected '$pbkdf2-sha256$<iterations>$<salt>$<hash>'");
  EXPECT_EQ(parse_error("alice:operator:$pbkdf2-sha256$100000$" + salt + "$" + hash + "$x\n"),
            "pw.txt:1: expected '$pbkdf2-sha256$<iterations>$<salt>$<hash>'");
  EXPECT_EQ(parse_error("alice:operator:$pbkdf2-sha256$1000$" + salt + "$" + hash + "\n"),
            "pw.txt:1: iterations '1000' must be a number from 100000 to 10000000");
  EXPECT_EQ(parse_error("alice:operator:$pbkdf2-sha256$100000$" + base64_encode("short") + "$" +
                        hash + "\n"),
            "pw.txt:1: the salt must be padded base64 of at least 16 bytes");
  EXPECT_EQ(parse_error("alice:operator:$pbkdf2-sha256$100000$" + salt + "$" +
                        base64_encode("short") + "\n"),
            "pw.txt:1: the hash must be padded base64 of 32 bytes");
  EXPECT_EQ(parse_error("alice:operator:$pbkdf2-sha256$100000$" + salt + "$not*b64\n"),
            "pw.txt:1: the hash must be padded base64 of 32 bytes");
  EXPECT_EQ(parse_error("alice:operator:" + good + "\n#\nalice:service:" + good + "\n"),
            "pw.txt:3: user 'alice' is already defined on line 1");
}

TEST(PasswordFile, LoadFile) {
  const test::TempDir dir;
  const std::string path = dir.write("pw", "svc:service:" + hash_password("pw", kFast) + "\n");
  EXPECT_TRUE(PasswordFile::load_file(path).verify("svc", "pw").has_value());

  try {
    (void)PasswordFile::load_file(dir.file("missing"));
    FAIL() << "no error";
  } catch (const PasswordFileError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read password file"), std::string::npos);
  }
  const std::string bad = dir.write("bad", "\nsvc:service:nope\n");
  try {
    (void)PasswordFile::load_file(bad);
    FAIL() << "no error";
  } catch (const PasswordFileError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with(bad + ":2: ")) << e.what();
  }
}

TEST(PasswordFile, OnlyOperatorsAndServicesMayUsePasswords) {
  EXPECT_TRUE(may_use_password(Role::kOperator));
  EXPECT_TRUE(may_use_password(Role::kService));
  EXPECT_FALSE(may_use_password(Role::kMeter));
  EXPECT_FALSE(may_use_password(Role::kHub));
  EXPECT_FALSE(may_use_password(Role::kNone));
}

}  // namespace
}  // namespace gridmq::auth
