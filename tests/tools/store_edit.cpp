// gridmq_store_edit: damages a gridmq RocksDB store on purpose, for the start-up tests of
// tests/system/test_durability.py (test only; never run it on a store you care about).
//
//   gridmq_store_edit DIR count CF        prints how many records column family CF holds
//   gridmq_store_edit DIR corrupt CF      flips one payload bit of CF's first record (its
//                                         checksum no longer matches)
//   gridmq_store_edit DIR version CF N    rewrites CF's first record as record version N with a
//                                         valid checksum
//
// Exit status: 0 done, 1 the store or the record is not there, 2 usage.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "storage/rocksdb/crc32c.hpp"
#include "storage/rocksdb/database.hpp"

namespace rocks = gridmq::storage::rocks;

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: gridmq_store_edit DIR count|corrupt CF\n"
               "       gridmq_store_edit DIR version CF N\n");
  return 2;
}

bool find_cf(std::string_view name, rocks::Cf& out) {
  for (std::size_t i = 0; i < rocks::kCfCount; ++i) {
    if (rocks::kCfNames[i] == name) {
      out = static_cast<rocks::Cf>(i);
      return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return usage();
  const std::string dir = argv[1];
  const std::string_view cmd = argv[2];
  rocks::Cf cf;
  if (!find_cf(argv[3], cf)) return usage();
  if ((cmd == "version") != (argc == 5)) return usage();
  std::string error;
  auto db = rocks::Database::open(dir, false, error);
  if (!db) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  rocksdb::ReadOptions read;
  read.total_order_seek = true;  // every key (the plugins column family has a prefix extractor)
  std::unique_ptr<rocksdb::Iterator> it(db->db().NewIterator(read, db->cf(cf)));
  it->SeekToFirst();
  if (cmd == "count") {
    long n = 0;
    for (; it->Valid(); it->Next()) ++n;
    std::printf("%ld\n", n);
    return 0;
  }
  if (!it->Valid()) {
    std::fprintf(stderr, "column family %s is empty\n", argv[3]);
    return 1;
  }
  const std::string key = it->key().ToString();
  std::string value = it->value().ToString();
  it.reset();
  if (value.size() < 6) {
    std::fprintf(stderr, "record too short to edit\n");
    return 1;
  }
  if (cmd == "corrupt") {
    value[value.size() - 5] = static_cast<char>(value[value.size() - 5] ^ 0x01);
  } else if (cmd == "version") {
    value[0] = static_cast<char>(std::atoi(argv[4]));
    const std::uint32_t crc = rocks::crc32c(std::string_view(value).substr(0, value.size() - 4));
    for (int i = 0; i < 4; ++i) value[value.size() - 4 + i] = static_cast<char>(crc >> (8 * i));
  } else {
    return usage();
  }
  rocksdb::WriteOptions sync;
  sync.sync = true;
  auto s = db->db().Put(sync, db->cf(cf), key, value);
  if (!s.ok()) {
    std::fprintf(stderr, "write failed: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
