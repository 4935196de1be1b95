// ONNX Runtime (C++) embedding server: cpp-httplib + nlohmann-json + ONNX Runtime's C API behind
// the same HTTP contract as servers/pycommon/embedserver/app.py. Modes:
//   (no arguments)                                   serve HTTP
//   --ceiling --texts F --concurrency N --duration-s S   in-process throughput, one JSON line
//   --tokenize F                                     token ids of F's {"texts": [...]}, as JSON (tests)
#include <httplib.h>
#include <malloc.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine.hpp"
#include "front.hpp"
#include "metrics.hpp"

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
constexpr const char* kFramework = "onnx-cpp";

struct Settings {
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string model_dir;
  int threads = 1;
  int workers = 1;
  std::size_t max_texts = 256;
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  int http_threads = 256;
  std::size_t max_batch_tokens = 16384;
  int body_timeout_s = 10;
};

// CPUs this process may run on (its affinity mask, which the suite sets to the server's CPU set),
// not the host's count that std::thread::hardware_concurrency reports; capped by a cgroup v2 quota
// (docker --cpus), as the Python and Rust servers count them.
int cpu_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  unsigned n = std::thread::hardware_concurrency();
  int cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : static_cast<int>(n);
  std::ifstream quota_file("/sys/fs/cgroup/cpu.max");
  std::string quota;
  long period = 0;
  if (quota_file >> quota >> period && quota != "max" && period > 0) {
    const long q = std::strtol(quota.c_str(), nullptr, 10);
    if (q > 0) cpus = std::min(cpus, static_cast<int>((q + period - 1) / period));
  }
  return std::max(1, cpus);
}

long positive_env(const char* name, long fallback) {
  const char* raw = std::getenv(name);
  if (raw == nullptr || *raw == '\0') return fallback;
  long value = 0;
  auto [end, ec] = std::from_chars(raw, raw + std::strlen(raw), value);
  if (ec != std::errc() || *end != '\0' || value <= 0) {
    throw std::runtime_error(std::string(name) + " must be a positive integer, got '" + raw + "'");
  }
  return value;
}

Settings settings_from_env() {
  Settings s;
  const char* dir = std::getenv("MODEL_DIR");
  if (dir == nullptr || *dir == '\0') {
    throw std::runtime_error("MODEL_DIR is not set (folder of a prepared model, e.g. models/all-MiniLM-L6-v2)");
  }
  s.model_dir = dir;
  // Loopback unless told otherwise: a benchmark server is not a public service.
  if (const char* host = std::getenv("HOST"); host != nullptr && *host != '\0') s.host = host;
  s.port = static_cast<int>(positive_env("PORT", 8000));
  // Unset, one single-threaded model call per CPU; one of the two set, the other fills the CPUs
  // (threads x workers), the same rule as every other server.
  const long cpus = cpu_count();
  const long threads = positive_env("THREADS", 0);  // 0: unset (a set value is positive)
  const long workers = positive_env("WORKERS", 0);
  s.threads = static_cast<int>(threads > 0 ? threads : workers > 0 ? std::max(1L, cpus / workers) : 1);
  s.workers = static_cast<int>(workers > 0 ? workers : std::max(1L, cpus / s.threads));
  s.max_texts = static_cast<std::size_t>(positive_env("MAX_TEXTS", 256));
  s.max_body_bytes = static_cast<std::size_t>(positive_env("MAX_BODY_BYTES", 4 * 1024 * 1024));
  s.http_threads = static_cast<int>(positive_env("HTTP_THREADS", 256));
  s.max_batch_tokens = static_cast<std::size_t>(positive_env("MAX_BATCH_TOKENS", 16384));
  s.body_timeout_s = static_cast<int>(positive_env("BODY_TIMEOUT_S", 10));
  return s;
}

double rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0.0;
}

void append_float(std::string& out, float v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

std::string embeddings_json(const engine::Embeddings& e, double ms, const std::string& model) {
  std::string out;
  out.reserve(e.data.size() * 12 + 128);
  out += "{\"embeddings\":[";
  for (std::size_t r = 0; r < e.rows; ++r) {
    out += r == 0 ? "[" : ",[";
    for (std::size_t d = 0; d < e.dim; ++d) {
      if (d > 0) out += ',';
      append_float(out, e.data[r * e.dim + d]);
    }
    out += ']';
  }
  out += "],\"inference_time_ms\":" + json(ms).dump() + ",\"model\":" + json(model).dump() +
         ",\"dim\":" + std::to_string(e.dim) + ",\"num_embeddings\":" + std::to_string(e.rows) + "}";
  return out;
}

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  // A parse error quotes the offending bytes, which may be invalid UTF-8: dump() would throw on
  // them (and httplib answer 500), so they are written as U+FFFD.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, json{{"error", message}});
}

struct Loaded {
  std::unique_ptr<engine::Engine> engine;
  engine::ServingConfig serving;
  double load_ms = 0.0;
};

std::unique_ptr<Loaded> load(const Settings& s) {
  const auto started = Clock::now();
  auto loaded = std::make_unique<Loaded>();
  loaded->serving = engine::ServingConfig::load(s.model_dir);
  loaded->engine =
      std::make_unique<engine::Engine>(s.model_dir, loaded->serving, s.threads, s.workers, s.max_batch_tokens);
  loaded->load_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  std::fprintf(stderr, "[%s] model loaded in %.0f ms (threads=%d, workers=%d)\n", kFramework, loaded->load_ms, s.threads,
               s.workers);
  return loaded;
}

/// A request answered with an error status; each route writes it in its API's error shape.
struct Refused {
  int status;
  std::string message;
};

/// OpenAI's error object, which its clients read the message from.
void send_openai_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status,
            json{{"error",
                  {{"message", message},
                   {"type", status >= 500 ? "server_error" : "invalid_request_error"},
                   {"param", nullptr},
                   {"code", nullptr}}}});
}

/// The body as a JSON object; the same checks, order, status codes and messages as the Python servers.
json json_object(const httplib::Request& req, const char* shape) {
  json body;
  try {
    body = json::parse(req.body);
  } catch (const json::exception& e) {
    throw Refused{400, std::string("body is not valid JSON: ") + e.what()};
  }
  if (!body.is_object()) throw Refused{400, std::string("body must be a JSON object ") + shape};
  return body;
}

/// A non-empty list of at most MAX_TEXTS strings, from the request field `field`.
std::vector<std::string> texts_of(const Settings& s, const json& body, const std::string& field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_array() || it->empty()) throw Refused{400, "'" + field + "' must be a non-empty list of strings"};
  if (it->size() > s.max_texts) {
    throw Refused{413, "too many texts: " + std::to_string(it->size()) + " > " + std::to_string(s.max_texts)};
  }
  std::vector<std::string> texts;
  texts.reserve(it->size());
  for (const auto& t : *it) {
    if (!t.is_string()) throw Refused{400, "every item of '" + field + "' must be a string"};
    texts.push_back(t.get<std::string>());
  }
  return texts;
}

/// One model call for a request, timed; the timing headers set on `res`.
engine::Embeddings run_engine(const Loaded* loaded, metrics::Metrics& metrics, const std::vector<std::string>& texts,
                              bool normalize, httplib::Response& res, double& ms) {
  if (loaded == nullptr) throw Refused{503, "model not loaded yet"};
  const auto started = Clock::now();
  engine::Embeddings vectors;
  try {
    vectors = loaded->engine->embed(texts, normalize);
  } catch (const engine::TooManyTokens& e) {
    throw Refused{413, e.what()};
  } catch (const tok::InvalidText& e) {
    throw Refused{400, e.what()};
  } catch (const std::exception& e) {
    throw Refused{500, std::string("inference failed: ") + e.what()};
  }
  // The wait for a free session is queue time, as in the other servers, not inference time.
  ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count() - vectors.waited.count();
  // glibc keeps freed tensors in the malloc arena of the thread that ran the request (up to 8
  // arenas per core, spread over httplib's threads): without this, RSS after 20 requests of 16384
  // tokens was 2.9 GB. Large requests (more than 64 KB of text, as in the other servers) trim
  // after they are timed; small benchmark requests do not pay for it.
  std::size_t text_bytes = 0;
  for (const auto& t : texts) text_bytes += t.size();
  if (text_bytes > 64 * 1024) malloc_trim(0);
  metrics.observe_embedded(ms, vectors.waited.count(), vectors.rows);
  char timing[32], queued[32];
  std::snprintf(timing, sizeof timing, "%.3f", ms);
  std::snprintf(queued, sizeof queued, "%.3f", vectors.waited.count());
  res.set_header("x-inference-time", timing);
  res.set_header("x-queue-time", queued);
  res.set_header("x-batch-size", std::to_string(vectors.rows));
  return vectors;
}

void handle_embed(const Settings& s, const Loaded* loaded, metrics::Metrics& metrics, const httplib::Request& req,
                  httplib::Response& res) {
  try {
    const json body = json_object(req, "{\"texts\": [...]}");
    const std::vector<std::string> texts = texts_of(s, body, "texts");
    bool normalize = true;
    if (auto n = body.find("normalize"); n != body.end()) {
      if (!n->is_boolean()) throw Refused{400, "'normalize' must be a boolean"};
      normalize = n->get<bool>();
    }
    double ms = 0.0;
    const engine::Embeddings vectors = run_engine(loaded, metrics, texts, normalize, res, ms);
    res.status = 200;
    res.set_content(embeddings_json(vectors, ms, loaded->serving.model_key), "application/json");
  } catch (const Refused& r) {
    send_error(res, r.status, r.message);
  }
}

/// encoding_format base64: the little-endian float32 bytes, as OpenAI's clients decode them (httplib
/// 0.11 has no encoder, and linking a crypto library for one would add a dependency).
std::string base64_floats(const float* v, std::size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static_assert(std::endian::native == std::endian::little, "float bytes are sent as they lie in memory");
  const auto* bytes = reinterpret_cast<const unsigned char*>(v);
  const std::size_t size = n * sizeof(float);
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (std::size_t i = 0; i < size; i += 3) {
    const std::size_t left = size - i;
    const unsigned triple = (bytes[i] << 16) | (left > 1 ? bytes[i + 1] << 8 : 0) | (left > 2 ? bytes[i + 2] : 0);
    out += kAlphabet[(triple >> 18) & 63];
    out += kAlphabet[(triple >> 12) & 63];
    out += left > 1 ? kAlphabet[(triple >> 6) & 63] : '=';
    out += left > 2 ? kAlphabet[triple & 63] : '=';
  }
  return out;
}

std::string openai_json(const engine::Embeddings& e, bool base64, const std::string& model) {
  std::string out;
  out.reserve(e.data.size() * 12 + 128);
  out += "{\"object\":\"list\",\"data\":[";
  for (std::size_t r = 0; r < e.rows; ++r) {
    out += r == 0 ? "" : ",";
    out += "{\"object\":\"embedding\",\"index\":" + std::to_string(r) + ",\"embedding\":";
    if (base64) {
      out += '"' + base64_floats(&e.data[r * e.dim], e.dim) + '"';
    } else {
      out += '[';
      for (std::size_t d = 0; d < e.dim; ++d) {
        if (d > 0) out += ',';
        append_float(out, e.data[r * e.dim + d]);
      }
      out += ']';
    }
    out += '}';
  }
  out += "],\"model\":" + json(model).dump() + ",\"usage\":{\"prompt_tokens\":" + std::to_string(e.tokens) +
         ",\"total_tokens\":" + std::to_string(e.tokens) + "}}";
  return out;
}

/// OpenAI's embeddings API over the same engine: unit vectors, usage.prompt_tokens as MAX_BATCH_TOKENS counts.
void handle_openai(const Settings& s, const Loaded* loaded, metrics::Metrics& metrics, const httplib::Request& req,
                   httplib::Response& res) {
  try {
    json body = json_object(req, "{\"input\": [...], \"model\": \"...\"}");
    if (auto in = body.find("input"); in != body.end() && in->is_string()) *in = json::array({*in});
    const std::vector<std::string> texts = texts_of(s, body, "input");
    for (const char* field : {"model", "user"}) {
      if (auto f = body.find(field); f != body.end() && !f->is_string()) {
        throw Refused{400, std::string("'") + field + "' must be a string"};
      }
    }
    bool base64 = false;
    if (auto f = body.find("encoding_format"); f != body.end()) {
      if (*f != "float" && *f != "base64") throw Refused{400, "'encoding_format' must be 'float' or 'base64'"};
      base64 = *f == "base64";
    }
    if (auto d = body.find("dimensions"); d != body.end() && loaded != nullptr) {
      const auto dim = loaded->serving.embedding_dim;
      if (!d->is_number_integer() || d->get<long long>() != static_cast<long long>(dim)) {
        throw Refused{400, "'dimensions' must be " + std::to_string(dim) + " (this model's) or absent: vectors are not shortened"};
      }
    }
    double ms = 0.0;
    // OpenAI's vectors are unit length; there is no parameter for it.
    const engine::Embeddings vectors = run_engine(loaded, metrics, texts, true, res, ms);
    res.status = 200;
    res.set_content(openai_json(vectors, base64, loaded->serving.model_key), "application/json");
  } catch (const Refused& r) {
    send_openai_error(res, r.status, r.message);
  }
}

int serve(const Settings& s) {
  std::atomic<const Loaded*> ready{nullptr};
  std::mutex failure_mu;
  std::string failure;
  std::unique_ptr<Loaded> owned;
  // Load off the listener so /health answers 503 while the model loads.
  std::thread loader([&] {
    try {
      owned = load(s);
      ready.store(owned.get());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "[%s] model load failed: %s\n", kFramework, e.what());
      std::lock_guard lock(failure_mu);
      failure = e.what();
    }
  });
  loader.detach();

  metrics::Metrics metrics(kFramework);
  // An event loop reads every request whole before a thread takes it (front.hpp): slow or idle
  // connections hold no thread, and /health has threads of its own.
  front::EventServer server;
  server.set_payload_max_length(s.max_body_bytes);
  server.set_keep_alive_max_count(100000);
  // A body that stops arriving for BODY_TIMEOUT_S ends the request: the front ends its reads, httplib
  // fails the body, and the error handler answers 408.
  server.set_read_timeout(s.body_timeout_s);

  server.Get("/health", [&](const httplib::Request&, httplib::Response& res) {
    if (ready.load() != nullptr) return send_json(res, 200, json{{"status", "healthy"}});
    std::lock_guard lock(failure_mu);
    if (!failure.empty()) return send_json(res, 503, json{{"status", "failed"}, {"error", failure}});
    send_json(res, 503, json{{"status", "loading"}});
  });
  server.Get("/info", [&](const httplib::Request&, httplib::Response& res) {
    const Loaded* l = ready.load();
    json body{{"framework", kFramework},
              {"framework_version", l != nullptr ? json(l->engine->framework_version()) : json()},
              {"language", "C++"},
              {"model_name", l != nullptr ? json(l->serving.model_key) : json()},
              {"model_load_time_ms", l != nullptr ? json(l->load_ms) : json()},
              {"embedding_dim", l != nullptr ? json(l->serving.embedding_dim) : json()},
              {"max_seq_length", l != nullptr ? json(l->serving.max_seq_length) : json()},
              {"pooling", l != nullptr ? json(l->serving.pooling) : json()},
              {"synthetic_weights", l != nullptr ? json(l->serving.synthetic) : json()},
              {"threads", s.threads},
              {"workers", s.workers},
              {"max_texts", s.max_texts},
              {"max_body_bytes", s.max_body_bytes},
              {"max_batch_tokens", s.max_batch_tokens},
              {"cpu_count", cpu_count()},
              {"memory_rss_mb", std::round(rss_mb() * 10.0) / 10.0},
              {"pid", static_cast<int>(getpid())},
              {"runtime", "onnxruntime"},
              {"http_threads", s.http_threads}};
    if (l != nullptr) body["sessions"] = l->engine->sessions();
    send_json(res, 200, body);
  });
  server.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    const Loaded* l = ready.load();
    metrics.set_queue_depth(l != nullptr ? l->engine->waiting() : 0);
    res.set_content(metrics.render(), metrics::kContentType);
  });
  server.Post("/embed", [&](const httplib::Request& req, httplib::Response& res) {
    const metrics::Metrics::InFlight in_flight(metrics);
    handle_embed(s, ready.load(), metrics, req, res);
    metrics.observe_request(res.status == 200);
  });
  server.Post("/v1/embeddings", [&](const httplib::Request& req, httplib::Response& res) {
    const metrics::Metrics::InFlight in_flight(metrics);
    handle_openai(s, ready.load(), metrics, req, res);
    metrics.observe_request(res.status == 200);
  });
  // httplib has no 405 of its own: known paths answer other methods with it.
  const auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    send_error(res, 405, "Method Not Allowed");
  };
  // Methods httplib routes nowhere (TRACE, OPTIONS, CONNECT) would be its bare 400: 405 on a known
  // path and 404 elsewhere, as the other servers answer.
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    static const std::set<std::string> routed{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"};
    static const std::set<std::string> known{"/health", "/info", "/metrics", "/embed", "/v1/embeddings"};
    if (routed.count(req.method) != 0) return httplib::Server::HandlerResponse::Unhandled;
    if (known.count(req.path) != 0) {
      send_error(res, 405, "Method Not Allowed");
    } else {
      send_error(res, 404, "Not Found");
    }
    return httplib::Server::HandlerResponse::Handled;
  });
  for (const char* path : {"/health", "/info", "/metrics"}) {
    server.Post(path, not_allowed).Put(path, not_allowed).Delete(path, not_allowed).Patch(path, not_allowed);
  }
  for (const char* path : {"/embed", "/v1/embeddings"}) {
    server.Get(path, not_allowed).Put(path, not_allowed).Delete(path, not_allowed).Patch(path, not_allowed);
  }
  // Statuses httplib sets itself (404 unknown route, 413 body over the limit, 400 bad request) get a JSON body.
  server.set_error_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) return send_error(res, 404, "Not Found");
    const bool openai = req.path == "/v1/embeddings";
    const bool embedding = openai || req.path == "/embed";
    const auto refuse = [&](int status, const std::string& message) {
      metrics.observe_request(false);
      return openai ? send_openai_error(res, status, message) : send_error(res, status, message);
    };
    if (res.status == 413) {
      if (embedding) return refuse(413, "body larger than " + std::to_string(s.max_body_bytes) + " bytes");
      return send_error(res, 413, "body larger than " + std::to_string(s.max_body_bytes) + " bytes");
    }
    // httplib answers 400 when reading the body fails; a body shorter than its Content-Length
    // means the read timed out (a client that hung up reads no answer anyway).
    if (res.status == 400 && embedding && req.has_header("Content-Length")) {
      std::size_t declared = 0;
      const std::string value = req.get_header_value("Content-Length");
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), declared);
      if (ec == std::errc() && end == value.data() + value.size() && req.body.size() < declared) {
        return refuse(408, "request body not received within " + std::to_string(s.body_timeout_s) + " s");
      }
    }
    send_error(res, res.status, "HTTP error " + std::to_string(res.status));
  });

  std::signal(SIGTERM, [](int) { std::_Exit(0); });
  std::signal(SIGINT, [](int) { std::_Exit(0); });
  if (!server.listen_on(s.host, s.port)) {
    std::fprintf(stderr, "[%s] cannot listen on %s:%d\n", kFramework, s.host.c_str(), s.port);
    return 1;
  }
  std::fprintf(stderr, "[%s] listening on http://%s:%d\n", kFramework, s.host.c_str(), s.port);
  front::Options options;
  options.request_threads = s.http_threads;
  options.body_timeout_s = s.body_timeout_s;
  options.max_body_bytes = s.max_body_bytes;
  return server.run(options);
}

std::vector<std::string> read_texts(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  const json doc = json::parse(in);
  std::vector<std::string> texts;
  for (const auto& t : doc.at("texts")) texts.push_back(t.get<std::string>());
  if (texts.empty()) throw std::runtime_error(path + ": expected {\"texts\": [non-empty list of strings]}");
  return texts;
}

int ceiling(const Settings& s, const std::vector<std::string>& args) {
  std::string texts_file;
  std::size_t concurrency = 1;
  double duration_s = 5.0;
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--texts") texts_file = args[i + 1];
    else if (args[i] == "--concurrency") concurrency = std::stoul(args[i + 1]);
    else if (args[i] == "--duration-s") duration_s = std::stod(args[i + 1]);
    else throw std::runtime_error("unknown ceiling option " + args[i] + " (expected --texts, --concurrency, --duration-s)");
  }
  if (texts_file.empty() || concurrency == 0 || duration_s <= 0) {
    throw std::runtime_error("usage: --ceiling --texts FILE --concurrency N --duration-s S");
  }
  const auto texts = read_texts(texts_file);
  const auto loaded = load(s);
  for (std::size_t i = 0; i < std::min<std::size_t>(20, texts.size()); ++i) loaded->engine->embed({texts[i]}, true);
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::duration<double>(duration_s);
  std::vector<std::vector<double>> latencies(concurrency);
  std::vector<std::thread> callers;
  for (std::size_t w = 0; w < concurrency; ++w) {
    callers.emplace_back([&, w] {
      // Each caller starts at a different text, as k6's virtual users do (scenario/texts.ts pickBatch).
      std::size_t i = w * 7919;
      while (Clock::now() < deadline) {
        const auto t = Clock::now();
        loaded->engine->embed({texts[i % texts.size()]}, true);
        latencies[w].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
        ++i;
      }
    });
  }
  for (auto& c : callers) c.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  std::cout << json{{"framework", kFramework},
                    {"concurrency", concurrency},
                    {"batch_size", 1},
                    {"duration_s", elapsed},
                    {"calls", all.size()},
                    {"embeddings_per_sec", static_cast<double>(all.size()) / elapsed},
                    {"p50_ms", all.empty() ? 0.0 : all[all.size() / 2]},
                    {"threads", s.threads},
                    {"workers", s.workers}}
                   .dump()
            << std::endl;
  return 0;
}

/// Token ids of each text as the server feeds them (one batch), without the padding.
int tokenize(const Settings& s, const std::string& file) {
  const auto serving = engine::ServingConfig::load(s.model_dir);
  const tok::Tokenizer tokenizer(s.model_dir + "/tokenizer.json", serving.max_seq_length);
  const tok::Batch batch = tokenizer.encode(read_texts(file));
  json ids = json::array();
  for (std::size_t r = 0; r < batch.rows; ++r) {
    json row = json::array();
    for (std::size_t t = r * batch.seq; t < (r + 1) * batch.seq; ++t) {
      if (batch.attention_mask[t] != 0) row.push_back(batch.input_ids[t]);
    }
    ids.push_back(std::move(row));
  }
  std::cout << json{{"ids", ids}}.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const Settings s = settings_from_env();
    if (args.empty()) return serve(s);
    if (args[0] == "--ceiling") return ceiling(s, std::vector<std::string>(args.begin() + 1, args.end()));
    if (args[0] == "--tokenize" && args.size() == 2) return tokenize(s, args[1]);
    throw std::runtime_error("unknown arguments (expected none, --ceiling ..., or --tokenize FILE)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
