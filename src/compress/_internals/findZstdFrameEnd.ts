import { EngineFailure } from "./EngineFailure.js";

export interface ZstdFrameExtent {
  /** Offset just past the frame, or input.length when the frame runs past it. */
  end: number;
  /** Whether the whole frame, down to its checksum, lies within the input. */
  complete: boolean;
}

const FCS_FIELD_SIZE = [0, 2, 4, 8] as const;
const DICT_ID_SIZE = [0, 1, 2, 4] as const;

/**
 * Walk the block headers of the zstd frame at the start of `input` without
 * decoding it. Every block states its size (RFC 8878, 3.1.1.2), so the end of the
 * frame is known up front: the decoder then gets exactly one frame, and whatever
 * follows (Linux's appended size) is never mistaken for the start of another.
 */
export function findZstdFrameEnd(input: Uint8Array): ZstdFrameExtent {
  // RFC 8878, 3.1.1: Magic_Number, then Frame_Header_Descriptor (3.1.1.1.1).
  if (input.length < 5) return { end: input.length, complete: false };
  const fhd = input[4]!;
  if (fhd & 0x08) throw new EngineFailure("corrupt", "zstd frame header sets the reserved bit");
  const singleSegment = (fhd >> 5) & 1;
  const fcsFlag = fhd >> 6;
  let at = 5;
  at += singleSegment ? 0 : 1; // Window_Descriptor
  at += DICT_ID_SIZE[fhd & 3]!;
  at += fcsFlag === 0 ? singleSegment : FCS_FIELD_SIZE[fcsFlag]!;
  for (;;) {
    if (at + 3 > input.length) return { end: input.length, complete: false };
    // Block_Header, 3.1.1.2: Last_Block (bit 0), Block_Type (bits 1-2), Block_Size.
    const header = input[at]! | (input[at + 1]! << 8) | (input[at + 2]! << 16);
    const last = header & 1;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3) throw new EngineFailure("corrupt", "zstd block of the reserved type 3");
    at += 3 + (type === 1 ? 1 : size); // an RLE block stores its byte once
    if (last) break;
  }
  if (fhd & 0x04) at += 4; // Content_Checksum
  return at <= input.length ? { end: at, complete: true } : { end: input.length, complete: false };
}
