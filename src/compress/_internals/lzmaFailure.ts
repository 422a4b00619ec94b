import { EngineFailure } from "./EngineFailure.js";

// lzma_ret values from liblzma's public header lzma/base.h; they are part of its
// stable ABI, and both the native and the WASM build return them.
export const LZMA_OK = 0;
export const LZMA_STREAM_END = 1;
const LZMA_MEM_ERROR = 5;
const LZMA_MEMLIMIT_ERROR = 6;
const LZMA_FORMAT_ERROR = 7;
const LZMA_OPTIONS_ERROR = 8;
const LZMA_DATA_ERROR = 9;
const LZMA_BUF_ERROR = 10;

/** The EngineFailure for a liblzma error return. */
export function lzmaFailure(ret: number, what: string): EngineFailure {
  switch (ret) {
    case LZMA_BUF_ERROR:
      // With all input given and LZMA_FINISH, "no progress possible" means the
      // input ran out before the end of the stream.
      return new EngineFailure("truncated", `the ${what} stream is truncated: input ends before its end marker`);
    case LZMA_DATA_ERROR:
      return new EngineFailure("corrupt", `the ${what} data is corrupt (liblzma LZMA_DATA_ERROR)`);
    case LZMA_FORMAT_ERROR:
      return new EngineFailure("corrupt", `not a valid ${what} header (liblzma LZMA_FORMAT_ERROR)`);
    case LZMA_OPTIONS_ERROR:
      return new EngineFailure("unsupported", `the ${what} stream uses filters or options liblzma does not support (LZMA_OPTIONS_ERROR)`);
    case LZMA_MEMLIMIT_ERROR:
      return new EngineFailure("unsupported", `the ${what} stream needs more decoder memory than allowed (LZMA_MEMLIMIT_ERROR)`);
    case LZMA_MEM_ERROR:
      return new EngineFailure("unsupported", `liblzma could not allocate memory for the ${what} stream (LZMA_MEM_ERROR)`);
    default:
      return new EngineFailure("corrupt", `liblzma failed on the ${what} stream with code ${ret}`);
  }
}
