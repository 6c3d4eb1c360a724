#pragma once
// Prefixes for RocksDB's memtable insert hints (ColumnFamilyOptions::
// memtable_insert_with_hint_prefix_extractor). For each prefix the skiplist remembers where the
// last key with that prefix went, and the next such key searches from there instead of from the
// head. The busy column families are written in key order per prefix (layout.hpp):
//   messages  ids only grow: one prefix (the empty one) for every message key;
//   queues    a client's seqs only grow: the prefix is "<client id> 0x00".
// A saturated QoS 1 fan-in spent about half of the writer thread's CPU in memtable key
// comparisons without them (bench/README.md).
//
// Only entry keys are in a prefix's domain (8 bytes; "<client id> 0x00 <seq u64>"). RocksDB 7.8
// keeps one hint map per memtable for both its point and its range-deletion skiplists, and a
// splice of one used on the other breaks the skiplist (an assertion in Debian's build). A range
// deletion's begin key ("<client id> 0x00", Batch delete_session) is not an entry key, so it never
// takes a hint.

#include <memory>

#include <rocksdb/slice_transform.h>

namespace gridmq::storage::rocks {

/// Message keys (8 bytes): one hint for the column family.
std::shared_ptr<const rocksdb::SliceTransform> message_insert_hint();
/// Queue entry keys: their client part, through the 0x00 separator.
std::shared_ptr<const rocksdb::SliceTransform> queue_insert_hint();

}  // namespace gridmq::storage::rocks
