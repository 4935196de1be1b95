// The KServe v2 (Open Inference Protocol) HTTP API that Triton serves:
// POST /v2/models/<model>/infer with the texts as a BYTES tensor of shape [n, 1] (a batching model
// takes one string per row), answered with an FP32 output tensor of shape [n, dim] whose `data` is
// flat, in row-major order (nested rows are accepted too).
import { preview, vectorList, type ApiAdapter, type ApiSettings } from "./api.ts";

interface Tensor {
  name?: unknown;
  datatype?: unknown;
  shape?: unknown;
  data?: unknown;
}

const FLOAT_TYPES = ["FP32", "FP16", "FP64", "BF16"];

/** GJSON query for the output tensor by name. */
const output = (s: ApiSettings) => `outputs.#(name==${JSON.stringify(s.kserveOutput)})`;

function modelPath(s: ApiSettings): string {
  if (s.model === "") throw new Error("the kserve API needs the served model's name (/v2/models/<name>/infer)");
  return `/v2/models/${encodeURIComponent(s.model)}/infer`;
}

export const kserveApi: ApiAdapter = {
  name: "kserve",
  request: (texts, settings) => ({
    path: modelPath(settings),
    body: {
      inputs: [{ name: settings.kserveInput, shape: [texts.length, 1], datatype: "BYTES", data: texts }],
      outputs: [{ name: settings.kserveOutput }],
    },
  }),
  countPath: (s) => `${output(s)}.shape.0`,
  dimPath: (s) => `${output(s)}.shape.1`,
  // Triton's model configuration (max_batch_size, dynamic_batching, instance_group): how it was run.
  infoPath: (s) => `${modelPath(s).slice(0, -"/infer".length)}/config`,
  vectors(body, settings) {
    const outputs = (body as { outputs?: unknown } | null)?.outputs;
    if (!Array.isArray(outputs)) return `no 'outputs' array in ${preview(body)}`;
    const tensor = (outputs as Tensor[]).find((t) => t?.name === settings.kserveOutput);
    if (!tensor) return `no output tensor '${settings.kserveOutput}' (outputs: ${preview((outputs as Tensor[]).map((t) => t?.name))})`;
    if (!FLOAT_TYPES.includes(String(tensor.datatype))) return `output '${settings.kserveOutput}' has datatype ${preview(tensor.datatype)}, expected FP32`;
    const shape = tensor.shape;
    if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((n) => Number.isInteger(n) && n > 0)) {
      return `output '${settings.kserveOutput}' has shape ${preview(shape)}, expected [texts, dim]`;
    }
    const [rows, dim] = shape as [number, number];
    if (!Array.isArray(tensor.data)) return `output '${settings.kserveOutput}' has no data array`;
    const flat: unknown[] = tensor.data.flat();
    if (flat.length !== rows * dim) return `output '${settings.kserveOutput}' has ${flat.length} values, shape ${rows}x${dim} needs ${rows * dim}`;
    return vectorList(
      Array.from({ length: rows }, (_, r) => flat.slice(r * dim, (r + 1) * dim)),
      (i) => `row ${i} of output '${settings.kserveOutput}'`,
    );
  },
};
