#include "metrics.hpp"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace metrics {
namespace {

const prometheus::Histogram::BucketBoundaries kBucketsMs{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
const prometheus::Histogram::BucketBoundaries kBatchBuckets{1, 2, 4, 8, 16, 32, 64, 128, 256};

prometheus::Labels labels(const std::string& framework) {
  return {{"framework", framework}};
}

prometheus::Counter& counter(prometheus::Registry& registry, const std::string& framework, const char* name,
                             const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add(labels(framework));
}

prometheus::Gauge& gauge(prometheus::Registry& registry, const std::string& framework, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add(labels(framework));
}

prometheus::Histogram& histogram(prometheus::Registry& registry, const std::string& framework, const char* name,
                                 const char* help, const prometheus::Histogram::BucketBoundaries& buckets) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry).Add(labels(framework), buckets);
}

}  // namespace

Metrics::Metrics(const std::string& framework)
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(counter(*registry_, framework, "embed_requests_total", "POST /embed requests answered.")),
      errors_(counter(*registry_, framework, "embed_errors_total",
                      "POST /embed requests answered with an error status.")),
      embeddings_(counter(*registry_, framework, "embed_embeddings_total", "Texts embedded.")),
      inference_(histogram(*registry_, framework, "embed_inference_ms",
                           "Model time per model call (tokenize + forward + pool), milliseconds.", kBucketsMs)),
      queue_(histogram(*registry_, framework, "embed_queue_ms",
                       "Time a request waited before its model call started, milliseconds.", kBucketsMs)),
      batch_(histogram(*registry_, framework, "embed_batch_texts", "Texts per model call.", kBatchBuckets)),
      in_flight_(gauge(*registry_, framework, "embed_in_flight",
                       "Embedding requests (POST /embed, POST /v1/embeddings) being served now.")),
      queue_depth_(gauge(*registry_, framework, "embed_queue_depth", "Requests waiting for their model call to start.")) {}

void Metrics::set_queue_depth(std::size_t waiting) {
  queue_depth_.Set(static_cast<double>(waiting));
}

void Metrics::observe_request(bool ok) {
  requests_.Increment();
  if (!ok) errors_.Increment();
}

void Metrics::observe_embedded(double inference_ms, double queue_ms, std::size_t texts) {
  embeddings_.Increment(static_cast<double>(texts));
  inference_.Observe(inference_ms);
  queue_.Observe(queue_ms);
  batch_.Observe(static_cast<double>(texts));
}

std::string Metrics::render() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace metrics
