// GET /metrics: the Python servers' families (servers/pycommon/embedserver/metrics.py) with the
// same names, help, types, labels and buckets, in the Prometheus text format 0.0.4 that
// prometheus_client writes; prometheus-cpp (Debian's prometheus-cpp-dev) keeps and writes them.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstddef>
#include <memory>
#include <string>

namespace metrics {

/// Content type of Metrics::render().
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Label: framework, as in the Python servers (which sum their processes). Thread-safe: every
/// series is prometheus-cpp's own atomic.
class Metrics {
 public:
  explicit Metrics(const std::string& framework);
  void observe_request(bool ok);
  /// One request answered with embeddings; each request is its own model call.
  void observe_embedded(double inference_ms, double queue_ms, std::size_t texts);
  std::string render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter& requests_;
  prometheus::Counter& errors_;
  prometheus::Counter& embeddings_;
  prometheus::Histogram& inference_;
  prometheus::Histogram& queue_;
  prometheus::Histogram& batch_;
};

}  // namespace metrics
