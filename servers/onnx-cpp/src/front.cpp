#include "front.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace front {
namespace {

using Clock = std::chrono::steady_clock;

/// One client connection. The event loop owns it while it waits for a request; a thread owns it
/// while it answers one, then hands it back.
struct Conn {
  int fd = -1;
  /// Bytes received; httplib has read those before `taken` (a pipelined next request stays after it).
  std::string buffered;
  std::size_t taken = 0;
  /// When the last byte arrived (or the connection was accepted, or its last answer written).
  Clock::time_point last = Clock::now();
  /// The rest of the request will not come: reads end where the buffer ends.
  bool expired = false;
  /// The pending request's head once it has arrived whole (a body is not scanned again for it).
  std::optional<Head> head;
};

/// The pending request's head: parsed until it is whole, then kept.
const Head& head_of(Conn& c) {
  if (!c.head || !c.head->complete) c.head = parse_head(c.buffered);
  return *c.head;
}

bool wait_for(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

void address_of(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if ((peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len)) != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  }
  ip = text;
}

/// httplib's view of a connection: what the event loop buffered first, then the socket (non-blocking,
/// so every wait is a poll with the timeout).
class ConnStream : public httplib::Stream {
 public:
  ConnStream(Conn& c, int read_timeout_ms, int write_timeout_ms) : c_(c), read_ms_(read_timeout_ms), write_ms_(write_timeout_ms) {}

  bool is_readable() const override { return c_.taken < c_.buffered.size() || (!c_.expired && wait_for(c_.fd, POLLIN, read_ms_)); }
  bool is_writable() const override { return wait_for(c_.fd, POLLOUT, write_ms_); }

  ssize_t read(char* ptr, size_t size) override {
    if (c_.taken < c_.buffered.size()) {
      const std::size_t n = std::min(size, c_.buffered.size() - c_.taken);
      std::memcpy(ptr, c_.buffered.data() + c_.taken, n);
      c_.taken += n;
      return static_cast<ssize_t>(n);
    }
    if (c_.expired) return -1;
    for (;;) {
      const ssize_t n = ::recv(c_.fd, ptr, size, 0);
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait_for(c_.fd, POLLIN, read_ms_)) return -1;
    }
  }

  ssize_t write(const char* ptr, size_t size) override {
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::send(c_.fd, ptr + done, size - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_for(c_.fd, POLLOUT, write_ms_)) continue;
      return done > 0 ? static_cast<ssize_t>(done) : -1;
    }
    return static_cast<ssize_t>(done);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address_of(c_.fd, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address_of(c_.fd, false, ip, port); }
  socket_t socket() const override { return c_.fd; }

 private:
  Conn& c_;
  int read_ms_;
  int write_ms_;
};

/// A fixed set of threads taking tasks in order.
class Pool {
 public:
  explicit Pool(int threads) {
    for (int i = 0; i < std::max(1, threads); ++i) {
      threads_.emplace_back([this] {
        for (;;) {
          std::function<void()> task;
          {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return !tasks_.empty(); });
            task = std::move(tasks_.front());
            tasks_.pop_front();
          }
          task();
        }
      });
      threads_.back().detach();
    }
  }
  void enqueue(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// The control routes: cheap, and never queued behind the model's work.
bool control_route(const Head& h) {
  return (h.method == "GET" || h.method == "HEAD") && (h.path == "/health" || h.path == "/info" || h.path == "/metrics");
}

void raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

Head parse_head(const std::string& buffered) {
  Head h;
  std::size_t end = buffered.find("\r\n\r\n");
  std::size_t blank = 4;
  if (const std::size_t lf = buffered.find("\n\n"); lf != std::string::npos && (end == std::string::npos || lf < end)) {
    end = lf;
    blank = 2;
  }
  if (end == std::string::npos) return h;
  h.complete = true;
  h.size = end + blank;
  const std::string_view head(buffered.data(), end);
  std::size_t line_end = head.find('\n');
  const std::string_view request_line = trim(head.substr(0, line_end));
  const std::size_t sp1 = request_line.find(' ');
  if (sp1 != std::string_view::npos) {
    h.method = std::string(request_line.substr(0, sp1));
    std::string_view target = request_line.substr(sp1 + 1);
    target = target.substr(0, target.find(' '));
    h.path = std::string(target.substr(0, target.find('?')));
  }
  while (line_end != std::string_view::npos) {
    const std::size_t start = line_end + 1;
    line_end = head.find('\n', start);
    const std::string_view line = head.substr(start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      std::size_t n = 0;
      const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      // Unparsable: httplib answers it; here it means "do not wait for a body".
      h.content_length = ec == std::errc() && p == value.data() + value.size() ? n : 0;
    } else if (iequals(name, "transfer-encoding")) {
      h.chunked = value.find("chunked") != std::string_view::npos || value.find("Chunked") != std::string_view::npos;
    } else if (iequals(name, "expect")) {
      h.expect_continue = iequals(value, "100-continue");
    }
  }
  return h;
}

bool ready(const Head& h, std::size_t buffered, const Options& o) {
  if (!h.complete) return buffered > o.max_head_bytes;
  // A chunked body, a client waiting for 100 Continue, or a body httplib refuses: read by the thread.
  if (h.chunked || h.expect_continue || h.content_length > o.max_body_bytes) return true;
  return buffered >= h.size + h.content_length;
}

bool EventServer::listen_on(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found) != 0) return false;
  for (addrinfo* a = found; a != nullptr && listen_fd_ < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      listen_fd_ = fd;
    } else {
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  return listen_fd_ >= 0;
}

int EventServer::run(const front::Options& o) {
  raise_fd_limit();
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  const int wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (ep < 0 || wake < 0 || listen_fd_ < 0) return 1;
  const auto watch = [ep](int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    return ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0;
  };
  watch(listen_fd_);
  watch(wake);

  // Never destroyed: their threads run until the process ends.
  Pool& requests = *new Pool(o.request_threads);
  Pool& control = *new Pool(o.control_threads);
  std::mutex back_mu;
  std::vector<std::shared_ptr<Conn>> back;
  std::unordered_map<int, std::shared_ptr<Conn>> parked;

  const auto close_conn = [](Conn& c) {
    ::close(c.fd);
    c.fd = -1;
  };
  // A whole request: off the loop to a thread, which answers it and hands the connection back.
  const auto dispatch = [&](const std::shared_ptr<Conn>& c, const Head& h) {
    ::epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
    parked.erase(c->fd);
    (control_route(h) ? control : requests).enqueue([this, c, &o, &back_mu, &back, wake] {
      ConnStream stream(*c, o.body_timeout_s * 1000, 5000);
      bool closed = false;
      const bool ok = process_request(stream, false, closed, nullptr);
      if (!ok || closed || c->expired) {
        ::close(c->fd);
        return;
      }
      c->last = Clock::now();
      c->head.reset();
      // What httplib read goes; a large body's memory too.
      c->buffered.erase(0, c->taken);
      c->taken = 0;
      if (c->buffered.capacity() > 64 * 1024) c->buffered.shrink_to_fit();
      {
        std::lock_guard lock(back_mu);
        back.push_back(c);
      }
      const std::uint64_t one = 1;
      [[maybe_unused]] const ssize_t n = ::write(wake, &one, sizeof one);
    });
  };
  // Parks a connection until its next request has arrived whole, or dispatches it now if it has.
  const auto park = [&](const std::shared_ptr<Conn>& c) {
    const Head& h = head_of(*c);
    if (ready(h, c->buffered.size(), o)) return dispatch(c, h);
    if (parked.emplace(c->fd, c).second && !watch(c->fd)) {
      parked.erase(c->fd);
      close_conn(*c);
    }
  };

  std::vector<epoll_event> events(256);
  auto next_sweep = Clock::now();
  for (;;) {
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 250);
    if (n < 0 && errno != EINTR) return 1;
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        for (;;) {
          const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (client < 0) break;
          const int yes = 1;
          // Without TCP_NODELAY, Nagle's algorithm plus the client's delayed ACK stall small responses.
          ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
          auto c = std::make_shared<Conn>();
          c->fd = client;
          park(c);
        }
        continue;
      }
      if (fd == wake) {
        std::uint64_t count = 0;
        [[maybe_unused]] const ssize_t r = ::read(wake, &count, sizeof count);
        std::vector<std::shared_ptr<Conn>> returned;
        {
          std::lock_guard lock(back_mu);
          returned.swap(back);
        }
        for (const auto& c : returned) park(c);
        continue;
      }
      const auto it = parked.find(fd);
      if (it == parked.end()) continue;
      const std::shared_ptr<Conn> c = it->second;
      bool peer_closed = false;
      char chunk[16384];
      for (;;) {
        const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
        if (got > 0) {
          c->buffered.append(chunk, static_cast<std::size_t>(got));
          c->last = Clock::now();
          if (c->buffered.size() > o.max_head_bytes + o.max_body_bytes) break;
          continue;
        }
        if (got < 0 && errno == EINTR) continue;
        peer_closed = got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        break;
      }
      const Head& h = head_of(*c);
      if (ready(h, c->buffered.size(), o)) {
        dispatch(c, h);
      } else if (peer_closed) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        parked.erase(fd);
        close_conn(*c);
      }
    }
    // Connections that went quiet: idle ones close, a body that stopped is answered 408, a head that stopped is dropped.
    const auto now = Clock::now();
    if (now < next_sweep) continue;
    next_sweep = now + std::chrono::milliseconds(250);
    std::vector<std::shared_ptr<Conn>> quiet;
    for (const auto& [fd, c] : parked) {
      const auto silent = now - c->last;
      if (c->buffered.empty() ? silent > std::chrono::seconds(o.idle_timeout_s) : silent > std::chrono::seconds(o.body_timeout_s)) quiet.push_back(c);
    }
    for (const auto& c : quiet) {
      const Head& h = head_of(*c);
      if (h.complete) {
        c->expired = true;
        dispatch(c, h);
      } else {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
        parked.erase(c->fd);
        close_conn(*c);
      }
    }
  }
}

}  // namespace front
