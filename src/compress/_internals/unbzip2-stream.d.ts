// unbzip2-stream ships no types for its block decoder (lib/bzip2.js); these cover
// the two functions we call, as that file defines them.
declare module "unbzip2-stream/lib/bzip2.js" {
  /** Reads n bits MSB-first and returns them; called with null, skips to a byte boundary. */
  type BitReader = (n: number | null) => number;
  interface Bzip2 {
    /** Reads "BZh" and the block-size digit; returns the digit (1-9). */
    header(bits: BitReader): number;
    /**
     * Decodes one block, calling `write` for each output byte, and returns the
     * running stream CRC; at the end-of-stream marker it checks the stream CRC and
     * returns null.
     */
    decompress(bits: BitReader, write: (byte: number) => void, buf: Int32Array, bufsize: number, streamCRC: number): number | null;
  }
  const bzip2: Bzip2;
  export default bzip2;
}
