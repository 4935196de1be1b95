// The server's HTTP front: an event loop (epoll) accepts every connection and reads each request,
// head and body, without a thread; only a whole request goes to a thread, and GET /health, /info and
// /metrics go to threads of their own. Idle, slow or stalled connections therefore cost a buffer,
// never a thread, and /health answers under any number of them, as the event-driven servers do.
// httplib still parses, routes and answers each request (Server::process_request), so the routes,
// limits and error bodies are httplib's as before.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <string>

namespace front {

struct Options {
  /// Threads that run requests (the model's routes): requests in process at once.
  int request_threads = 256;
  /// Threads that answer GET /health, /info and /metrics, apart from the model's work.
  int control_threads = 2;
  /// A connection with no request pending is closed after this many seconds without a byte.
  int idle_timeout_s = 5;
  /// A request that stops arriving for this many seconds: a body is answered 408 (by the error
  /// handler), a head is dropped with its connection.
  int body_timeout_s = 10;
  /// Bodies up to this size are read whole before a thread takes the request; httplib refuses larger ones (413).
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  /// A request head larger than this goes to httplib, which refuses it.
  std::size_t max_head_bytes = 64 * 1024;
};

/// How much of a buffered request has arrived (pure; unit of the event loop's decision).
struct Head {
  bool complete = false;
  /// Bytes of the head, its blank line included.
  std::size_t size = 0;
  std::string method;
  std::string path;
  std::size_t content_length = 0;
  bool chunked = false;
  bool expect_continue = false;
};

Head parse_head(const std::string& buffered);

/// Whether `buffered` holds a request a thread can take without waiting for its client.
bool ready(const Head& head, std::size_t buffered, const Options& o);

class EventServer : public httplib::Server {
 public:
  /// Listens on host:port; false (with a message on stderr) when it cannot.
  bool listen_on(const std::string& host, int port);
  /// Serves until the process ends; returns 1 when the event loop cannot run.
  int run(const front::Options& o);

 private:
  int listen_fd_ = -1;
};

}  // namespace front
