import { codecs } from "../abi/codecs.js";
import type { SetupHeader } from "../abi/types.js";
import { BzImageError } from "./BzImageError.js";

export interface BzImageInfo {
  header: SetupHeader;
  /** Boot protocol version as "major.minor". */
  protocol: string;
  /** File offset of the protected-mode code: (setup_sects + 1) * 512. */
  protectedModeOffset: number;
  /** File offset and length of the compressed payload. */
  payloadOffset: number;
  payloadLength: number;
  /** The version string the header points at, when present. */
  kernelVersion: string | undefined;
}

// Linux boot protocol (Documentation/arch/x86/boot.rst): payload_offset/length
// arrived in 2.08; setup_sects == 0 means 4 for very old images.
const PAYLOAD_PROTOCOL = 0x0208;

/** Does the buffer start like an x86 bzImage (boot_flag 0xAA55 and "HdrS")? */
export function isBzImage(bytes: Uint8Array): boolean {
  const c = codecs.setupHeader();
  const flag = c.base + c.field("boot_flag").offset;
  const magic = c.base + c.field("header").offset;
  if (bytes.length < magic + 4) return false;
  // Only the two signature fields: a short file must not be decoded as a whole header.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint16(flag, true) === Number(c.field("boot_flag").spec.const) && view.getUint32(magic, true) === Number(c.field("header").spec.const);
}

/** Read the setup header of a bzImage and locate its compressed payload. */
export function readBzImage(bytes: Uint8Array): BzImageInfo {
  const c = codecs.setupHeader();
  if (bytes.length < c.base + c.field("version").offset + 2) {
    throw new BzImageError("truncated", `file of ${bytes.length} bytes ends inside the setup header`);
  }
  if (!isBzImage(bytes)) throw new BzImageError("not-bzimage", "no boot_flag 0xAA55 and \"HdrS\" signature in the setup header");
  const version = c.readVersion(bytes, c.base) ?? 0;
  const protocol = `${version >> 8}.${String(version & 0xff).padStart(2, "0")}`;
  if (version < PAYLOAD_PROTOCOL) {
    throw new BzImageError("old-protocol", `boot protocol ${protocol} predates 2.08 and does not locate its payload`);
  }
  if (bytes.length < c.base + c.size(version)) {
    throw new BzImageError("truncated", `file of ${bytes.length} bytes ends inside the protocol ${protocol} setup header`);
  }
  const header = c.decode(bytes, c.base, version);
  const setupSects = header.setup_sects === 0 ? 4 : header.setup_sects;
  const protectedModeOffset = (setupSects + 1) * 512;
  const payloadOffset = protectedModeOffset + (header.payload_offset ?? 0);
  const payloadLength = header.payload_length ?? 0;
  if (payloadLength === 0 || payloadOffset + payloadLength > bytes.length) {
    throw new BzImageError(
      "payload-out-of-bounds",
      `payload at 0x${payloadOffset.toString(16)} of ${payloadLength} bytes does not fit in the file of ${bytes.length} bytes`,
    );
  }
  return { header, protocol, protectedModeOffset, payloadOffset, payloadLength, kernelVersion: versionString(bytes, header) };
}

function versionString(bytes: Uint8Array, h: SetupHeader): string | undefined {
  if (!h.kernel_version) return undefined;
  const at = 0x200 + h.kernel_version;
  if (at >= bytes.length) return undefined;
  let end = at;
  while (end < bytes.length && end - at < 256 && bytes[end] !== 0) end++;
  const s = Buffer.from(bytes.subarray(at, end)).toString("latin1");
  return /^[\x20-\x7e]+$/.test(s) ? s : undefined;
}
