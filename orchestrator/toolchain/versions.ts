// The one place that pins the toolchain versions the suite installs for itself.
export const K6_MODULE = "go.k6.io/k6";
/** Newest k6 the Go module proxy serves here (v2 is not served: see environment.md). */
export const K6_VERSION = "v1.8.1";
export const UV_VERSION = "0.13.8";
