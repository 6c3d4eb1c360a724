#include "storage/rocksdb/insert_hint.hpp"

namespace gridmq::storage::rocks {
namespace {

constexpr std::size_t kIdSize = 8;  // a big-endian u64 (layout.hpp)

class MessageIds final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "gridmq.MessageIds"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), 0);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() == kIdSize; }
};

class QueueOwner final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "gridmq.QueueOwner"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - kIdSize);
  }
  // Client ids contain no 0x00, so the separator of an entry key is the byte before its seq.
  bool InDomain(const rocksdb::Slice& key) const override {
    return key.size() > kIdSize && key[key.size() - kIdSize - 1] == '\0';
  }
};

}  // namespace

std::shared_ptr<const rocksdb::SliceTransform> message_insert_hint() {
  return std::make_shared<MessageIds>();
}

std::shared_ptr<const rocksdb::SliceTransform> queue_insert_hint() {
  return std::make_shared<QueueOwner>();
}

}  // namespace gridmq::storage::rocks
