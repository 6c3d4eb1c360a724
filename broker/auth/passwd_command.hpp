#pragma once
// `gridmq passwd FILE USER ROLE`: adds USER to the password file FILE, or updates its role and
// password if it is there already (the file is created if missing).
//
// The password is read from `in`: when `in` is std::cin and stdin is a terminal, it is asked for
// twice on `err` with echo off; otherwise (a pipe or a file) the first line is the password (a
// trailing "\r" is dropped). ROLE is operator or service. An existing FILE must parse (see
// password_file.hpp), otherwise nothing is written; comments and the other users' lines are kept
// as they are. The new file is written to a temporary file in the same directory with mode 0600,
// flushed to disk and renamed over FILE, so readers see the old or the new file, never a part.
//
// Returns the process exit code: 0 done, 1 failed (message on `err`), 2 bad usage.

#include <iosfwd>

namespace gridmq::auth {

int run_passwd_command(int argc, char** argv, std::istream& in, std::ostream& out,
                       std::ostream& err);

}  // namespace gridmq::auth
