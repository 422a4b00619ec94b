/** The compressions Linux can use for a bzImage payload (CONFIG_KERNEL_*). */
export type Compression = "gzip" | "bzip2" | "lzma" | "xz" | "lzo" | "lz4" | "zstd";

export const COMPRESSIONS: readonly Compression[] = ["gzip", "bzip2", "lzma", "xz", "lzo", "lz4", "zstd"];
