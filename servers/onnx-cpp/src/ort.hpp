// A small RAII layer over ONNX Runtime's C API (the ABI-stable interface of libonnxruntime.so).
// ONNX Runtime's C/C++ headers are not available from any registry the suite can reach, so the
// function table's layout is generated from the ort-sys crate (tools/gen_ort_api_index.py) and the
// signatures of the functions used here are declared below, as in onnxruntime_c_api.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ort_api_index.h"

extern "C" {
struct OrtApi;
struct OrtEnv;
struct OrtStatus;
struct OrtSession;
struct OrtSessionOptions;
struct OrtValue;
struct OrtMemoryInfo;
struct OrtAllocator;
struct OrtRunOptions;
struct OrtTensorTypeAndShapeInfo;
struct OrtApiBase {
  const OrtApi* (*GetApi)(uint32_t version);
  const char* (*GetVersionString)();
};
const OrtApiBase* OrtGetApiBase();
}

namespace ort {

/// An ONNX Runtime environment plus the sessions made from it. Sessions are thread-safe for Run.
class Runtime {
 public:
  Runtime();
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  std::string version() const;

  class Session {
   public:
    Session(const Runtime& runtime, const std::string& model_path, int intra_threads);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    const std::vector<std::string>& input_names() const { return inputs_; }
    /// int64 inputs of shape [batch, seq] (by name) -> first output as float [batch, seq, dim].
    std::vector<float> run(const std::vector<std::pair<std::string, std::vector<int64_t>*>>& feeds, int64_t batch,
                           int64_t seq, std::size_t& dim) const;

   private:
    const Runtime& rt_;
    OrtSession* session_ = nullptr;
    std::vector<std::string> inputs_;
    std::vector<std::string> outputs_;
  };

 private:
  friend class Session;
  void check(OrtStatus* status) const;
  template <typename F>
  F fn(ortgen::Fn index) const {
    return reinterpret_cast<F>(table_[index]);
  }
  void* const* table_ = nullptr;
  OrtEnv* env_ = nullptr;
  OrtMemoryInfo* cpu_ = nullptr;
};

}  // namespace ort
