// The ONNX Runtime shared library for the native servers (onnx-rust loads it at run time, onnx-cpp
// links it). No vendor download: it comes from the onnxruntime wheel on PyPI, the same build the
// onnx-python server runs, installed once into the cache. Manifests get its path as {onnxruntime_lib}.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { ensurePypiPackage } from "./python.ts";
import { UserError } from "../platform/errors.ts";

/** Same version as servers/onnx-python/requirements.txt, so every ONNX Runtime row runs one build. */
export const ONNXRUNTIME_VERSION = "1.32.0";

/** Absolute path of libonnxruntime.so.<version> from the cached wheel. */
export async function ensureOnnxRuntimeLibrary(version = ONNXRUNTIME_VERSION): Promise<string> {
  const site = await ensurePypiPackage("onnxruntime", version);
  const capi = path.join(site, "onnxruntime", "capi");
  const lib = existsSync(capi) ? readdirSync(capi).find((f) => f.startsWith("libonnxruntime.so.")) : undefined;
  if (!lib) throw new UserError(`onnxruntime==${version} from PyPI has no libonnxruntime.so.* in ${capi}`);
  return path.join(capi, lib);
}
