#pragma once
// Admin HTTP routes a plugin contributes (design.md §2.6). The admin listener that serves them is a
// later issue; these are the types it will dispatch to. A handler runs on the admin listener's
// thread (not a worker) and must lock what it shares with the data-path hooks.

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace gridmq::plugins {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // below /plugins/<name>, e.g. "/meters/1EMH0012345678"
  std::vector<std::pair<std::string, std::string>> query;
  std::string body;
};

struct HttpResponse {
  int status = 200;  // 4xx carry a message in body
  std::string content_type = "application/json";
  std::string body;
};

struct Route {
  std::string method;
  std::string path;  // exact path below /plugins/<name>
  std::function<HttpResponse(const HttpRequest&)> handler;
};

}  // namespace gridmq::plugins
