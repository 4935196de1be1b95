#include "ort.hpp"

#include <stdexcept>

namespace ort {
namespace {
// onnxruntime_c_api.h enum values used below.
constexpr int kLoggingWarning = 2;
constexpr int kGraphOptimizationAll = 99;
constexpr int kArenaAllocator = 1;
constexpr int kMemTypeDefault = 0;
constexpr int kTensorInt64 = 7;
// Table version asked for: every function used here exists since ONNX Runtime 1.16.
constexpr uint32_t kApiVersion = 16;

using GetErrorMessageFn = const char* (*)(const OrtStatus*);
using ReleaseStatusFn = void (*)(OrtStatus*);
using CreateEnvFn = OrtStatus* (*)(int, const char*, OrtEnv**);
using ReleaseEnvFn = void (*)(OrtEnv*);
using CreateCpuMemoryInfoFn = OrtStatus* (*)(int, int, OrtMemoryInfo**);
using ReleaseMemoryInfoFn = void (*)(OrtMemoryInfo*);
using CreateSessionOptionsFn = OrtStatus* (*)(OrtSessionOptions**);
using SetThreadsFn = OrtStatus* (*)(OrtSessionOptions*, int);
using SetOptLevelFn = OrtStatus* (*)(OrtSessionOptions*, int);
using ConfigEntryFn = OrtStatus* (*)(OrtSessionOptions*, const char*, const char*);
using OptionsFn = OrtStatus* (*)(OrtSessionOptions*);
using ReleaseSessionOptionsFn = void (*)(OrtSessionOptions*);
using CreateSessionFn = OrtStatus* (*)(const OrtEnv*, const char*, const OrtSessionOptions*, OrtSession**);
using ReleaseSessionFn = void (*)(OrtSession*);
using CountFn = OrtStatus* (*)(const OrtSession*, std::size_t*);
using NameFn = OrtStatus* (*)(const OrtSession*, std::size_t, OrtAllocator*, char**);
using GetAllocatorFn = OrtStatus* (*)(OrtAllocator**);
using AllocatorFreeFn = OrtStatus* (*)(OrtAllocator*, void*);
using CreateTensorFn = OrtStatus* (*)(const OrtMemoryInfo*, void*, std::size_t, const int64_t*, std::size_t, int,
                                      OrtValue**);
using RunFn = OrtStatus* (*)(OrtSession*, const OrtRunOptions*, const char* const*, const OrtValue* const*, std::size_t,
                             const char* const*, std::size_t, OrtValue**);
using GetTensorDataFn = OrtStatus* (*)(OrtValue*, void**);
using GetTypeAndShapeFn = OrtStatus* (*)(const OrtValue*, OrtTensorTypeAndShapeInfo**);
using GetDimCountFn = OrtStatus* (*)(const OrtTensorTypeAndShapeInfo*, std::size_t*);
using GetDimsFn = OrtStatus* (*)(const OrtTensorTypeAndShapeInfo*, int64_t*, std::size_t);
using ReleaseShapeFn = void (*)(OrtTensorTypeAndShapeInfo*);
using ReleaseValueFn = void (*)(OrtValue*);
}  // namespace

Runtime::Runtime() {
  const OrtApi* api = OrtGetApiBase()->GetApi(kApiVersion);
  if (api == nullptr) throw std::runtime_error("the ONNX Runtime library does not provide C API version 16");
  table_ = reinterpret_cast<void* const*>(api);
  check(fn<CreateEnvFn>(ortgen::CreateEnv)(kLoggingWarning, "embedding-bench", &env_));
  check(fn<CreateCpuMemoryInfoFn>(ortgen::CreateCpuMemoryInfo)(kArenaAllocator, kMemTypeDefault, &cpu_));
}

Runtime::~Runtime() {
  if (cpu_ != nullptr) fn<ReleaseMemoryInfoFn>(ortgen::ReleaseMemoryInfo)(cpu_);
  if (env_ != nullptr) fn<ReleaseEnvFn>(ortgen::ReleaseEnv)(env_);
}

std::string Runtime::version() const { return OrtGetApiBase()->GetVersionString(); }

void Runtime::check(OrtStatus* status) const {
  if (status == nullptr) return;
  std::string message = fn<GetErrorMessageFn>(ortgen::GetErrorMessage)(status);
  fn<ReleaseStatusFn>(ortgen::ReleaseStatus)(status);
  throw std::runtime_error("onnxruntime: " + message);
}

Runtime::Session::Session(const Runtime& runtime, const std::string& model_path, int intra_threads) : rt_(runtime) {
  OrtSessionOptions* options = nullptr;
  rt_.check(rt_.fn<CreateSessionOptionsFn>(ortgen::CreateSessionOptions)(&options));
  try {
    rt_.check(rt_.fn<SetThreadsFn>(ortgen::SetIntraOpNumThreads)(options, intra_threads));
    rt_.check(rt_.fn<SetThreadsFn>(ortgen::SetInterOpNumThreads)(options, 1));
    // Idle intra-op threads sleep instead of spinning, as in onnx-python and onnx-rust: a spinning
    // thread burns the CPU time that the other workers and k6 need.
    rt_.check(rt_.fn<ConfigEntryFn>(ortgen::AddSessionConfigEntry)(options, "session.intra_op.allow_spinning", "0"));
    rt_.check(rt_.fn<SetOptLevelFn>(ortgen::SetSessionGraphOptimizationLevel)(options, kGraphOptimizationAll));
    // Every request has its own shape: the CPU arena keeps the largest one's buffers for the life
    // of the process (GBs after one big batch) and memory patterns are cached per shape. Without
    // them tensors come from malloc and go back after the run.
    rt_.check(rt_.fn<OptionsFn>(ortgen::DisableCpuMemArena)(options));
    rt_.check(rt_.fn<OptionsFn>(ortgen::DisableMemPattern)(options));
    rt_.check(rt_.fn<CreateSessionFn>(ortgen::CreateSession)(rt_.env_, model_path.c_str(), options, &session_));
  } catch (...) {
    rt_.fn<ReleaseSessionOptionsFn>(ortgen::ReleaseSessionOptions)(options);
    throw;
  }
  rt_.fn<ReleaseSessionOptionsFn>(ortgen::ReleaseSessionOptions)(options);
  OrtAllocator* allocator = nullptr;
  rt_.check(rt_.fn<GetAllocatorFn>(ortgen::GetAllocatorWithDefaultOptions)(&allocator));
  auto names = [&](ortgen::Fn count_fn, ortgen::Fn name_fn, std::vector<std::string>& out) {
    std::size_t count = 0;
    rt_.check(rt_.fn<CountFn>(count_fn)(session_, &count));
    for (std::size_t i = 0; i < count; ++i) {
      char* name = nullptr;
      rt_.check(rt_.fn<NameFn>(name_fn)(session_, i, allocator, &name));
      out.emplace_back(name);
      rt_.check(rt_.fn<AllocatorFreeFn>(ortgen::AllocatorFree)(allocator, name));
    }
  };
  names(ortgen::SessionGetInputCount, ortgen::SessionGetInputName, inputs_);
  names(ortgen::SessionGetOutputCount, ortgen::SessionGetOutputName, outputs_);
  if (outputs_.empty()) throw std::runtime_error(model_path + ": the model has no outputs");
}

Runtime::Session::~Session() {
  if (session_ != nullptr) rt_.fn<ReleaseSessionFn>(ortgen::ReleaseSession)(session_);
}

std::vector<float> Runtime::Session::run(const std::vector<std::pair<std::string, std::vector<int64_t>*>>& feeds,
                                         int64_t batch, int64_t seq, std::size_t& dim) const {
  const int64_t shape[2] = {batch, seq};
  std::vector<OrtValue*> values;
  std::vector<const char*> names;
  OrtValue* output = nullptr;
  auto release = [&] {
    for (OrtValue* v : values) rt_.fn<ReleaseValueFn>(ortgen::ReleaseValue)(v);
    if (output != nullptr) rt_.fn<ReleaseValueFn>(ortgen::ReleaseValue)(output);
  };
  try {
    for (const auto& [name, data] : feeds) {
      OrtValue* value = nullptr;
      rt_.check(rt_.fn<CreateTensorFn>(ortgen::CreateTensorWithDataAsOrtValue)(
          rt_.cpu_, data->data(), data->size() * sizeof(int64_t), shape, 2, kTensorInt64, &value));
      values.push_back(value);
      names.push_back(name.c_str());
    }
    const char* output_name = outputs_[0].c_str();
    rt_.check(rt_.fn<RunFn>(ortgen::Run)(session_, nullptr, names.data(), values.data(), values.size(), &output_name, 1,
                                         &output));
    OrtTensorTypeAndShapeInfo* info = nullptr;
    rt_.check(rt_.fn<GetTypeAndShapeFn>(ortgen::GetTensorTypeAndShape)(output, &info));
    std::size_t rank = 0;
    std::vector<int64_t> dims;
    try {
      rt_.check(rt_.fn<GetDimCountFn>(ortgen::GetDimensionsCount)(info, &rank));
      dims.resize(rank);
      rt_.check(rt_.fn<GetDimsFn>(ortgen::GetDimensions)(info, dims.data(), rank));
    } catch (...) {
      rt_.fn<ReleaseShapeFn>(ortgen::ReleaseTensorTypeAndShapeInfo)(info);
      throw;
    }
    rt_.fn<ReleaseShapeFn>(ortgen::ReleaseTensorTypeAndShapeInfo)(info);
    // Token vectors for the server to pool, or sentence vectors from a graph that pools itself.
    const bool tokens = rank == 3 && dims[0] == batch && dims[1] == seq;
    const bool sentences = rank == 2 && dims[0] == batch;
    if (!tokens && !sentences) throw std::runtime_error("model output is neither [batch, seq, dim] nor [batch, dim]");
    dim = static_cast<std::size_t>(dims[rank - 1]);
    void* raw = nullptr;
    rt_.check(rt_.fn<GetTensorDataFn>(ortgen::GetTensorMutableData)(output, &raw));
    const float* data = static_cast<const float*>(raw);
    std::vector<float> hidden(data, data + batch * (tokens ? seq : 1) * dims[rank - 1]);
    release();
    return hidden;
  } catch (...) {
    release();
    throw;
  }
}

}  // namespace ort
