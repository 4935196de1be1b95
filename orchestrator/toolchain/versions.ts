// The one place that pins the toolchain versions the suite installs for itself.
export const UV_VERSION = "0.13.8";
