#pragma once
// The hub -> meters binding table (design.md §2.2, domain.md §2): which meters a hub may speak for.
// The ACL engine's "%bound" placeholder looks it up.
//
// File format ([auth] bindings_file; example: config/bindings.example), one hub per line:
//   <hub-id>: <meter-id> <meter-id> ...
// Blank lines and lines whose first non-blank character is '#' are ignored. Ids are separated by
// blanks (spaces or tabs); the hub id ends at the first ':'. A hub may appear on several lines
// (their meters are merged), a meter may be bound to several hubs, and a line may list no meter.
// Every id must be a valid principal id (is_valid_principal_id: no '+', '#', '/', ':', blanks or
// control characters, not starting with '$'); anything else is an error naming "file:line".
//
// THREADING: BindingTable is immutable. Bindings holds the current table behind an atomic
// shared_ptr: snapshot(), is_bound() and meters_of() may run on any thread at any time, including
// while reload() or replace() swap in a new table; readers never wait for a reload's file I/O or
// parsing, only for the pointer swap.

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gridmq::auth {

/// A bad bindings file; the message names "origin:line" and the problem.
class BindingsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One immutable version of the binding table.
class BindingTable {
 public:
  /// Parses the file format above; `origin` names the text in messages. Throws BindingsError.
  static BindingTable parse(std::string_view text, const std::string& origin);

  /// Reads and parses `path`. Throws BindingsError (unreadable file included).
  static BindingTable load_file(const std::string& path);

  /// The meters bound to `hub_id`, sorted ascending and without duplicates (empty if none).
  std::span<const std::string> meters_of(std::string_view hub_id) const;

  bool is_bound(std::string_view hub_id, std::string_view meter_id) const;

  std::size_t hub_count() const { return hubs_.size(); }
  std::size_t binding_count() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  std::unordered_map<std::string, std::vector<std::string>, Hash, std::equal_to<>> hubs_;
};

/// The live binding table of a running broker, reloadable.
class Bindings {
 public:
  /// An empty table and no file: every hub has no meters; reload() fails.
  Bindings();

  /// Loads `path`. Throws BindingsError. reload() re-reads the same path.
  explicit Bindings(std::string path);

  /// A fixed table (tests, or a table built elsewhere); reload() fails.
  explicit Bindings(BindingTable table);

  Bindings(const Bindings&) = delete;
  Bindings& operator=(const Bindings&) = delete;

  /// Re-reads the file and swaps the new table in atomically. On any error the current table
  /// stays in force and the message ("file:line: problem") is returned; nullopt on success.
  /// Concurrent reload() calls are serialised.
  std::optional<std::string> reload();

  /// Swaps in `table` atomically.
  void replace(BindingTable table);

  /// The current table. Keep the pointer for the duration of one decision, not longer.
  std::shared_ptr<const BindingTable> snapshot() const { return table_.load(); }

  bool is_bound(std::string_view hub_id, std::string_view meter_id) const {
    return snapshot()->is_bound(hub_id, meter_id);
  }

  /// The file reload() reads ("" when there is none).
  const std::string& path() const { return path_; }

 private:
  const std::string path_;
  std::mutex reload_mutex_;  // serialises reload() and replace(); readers never take it
  std::atomic<std::shared_ptr<const BindingTable>> table_;
};

}  // namespace gridmq::auth
