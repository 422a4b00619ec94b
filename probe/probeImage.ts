import { probeBase64 } from "./probeBytes.js";

let decoded: Uint8Array | undefined;

/** The probe's bytes (a fresh copy each call: callers fill in its parameter block). */
export function probeImage(): Uint8Array {
  decoded ??= new Uint8Array(Buffer.from(probeBase64, "base64"));
  return decoded.slice();
}
