import type { Compression } from "../src/compress/Compression.js";
import { bzImageFields, elfFields, imageFields } from "./fields.js";
import type { Field } from "./mutate.js";

/** What one execution of a target does with an input; throwing a non-expected error is a finding. */
export interface Harness {
  run(data: Uint8Array): unknown;
  /** The module's own typed errors: bad input reported as it should be. */
  expected(err: unknown): boolean;
}

export interface Target {
  name: string;
  describe: string;
  /** Script URL fragments whose blocks count as coverage. */
  covers: readonly string[];
  maxLength: number;
  load(): Promise<Harness>;
  fields(b: Uint8Array): Field[];
  seeds(): Promise<Uint8Array[]>;
  /** Text input: numbers in it are mutated as numbers too. */
  text?: boolean;
  /** Test targets (planted bugs) are left out of a campaign over every target. */
  test?: boolean;
}

const MIB = 1024 * 1024;
/** Output limit for the fuzzed decoders and check-image: small, so a bomb costs little time; the limit code is the same. */
export const FUZZ_MAX_OUTPUT = 16 * MIB;
const PROJECT = ["/src/", "/probe/"];

/** Thrown by a harness when the result breaks a promise of the module (an offset outside the input...). */
export class InvariantBroken extends Error {
  override name = "InvariantBroken";
}

const seeds = async () => await import("./seeds.js");

function decompressTarget(format: Compression): Target {
  return {
    name: format,
    describe: `decompress("${format}") drained to the end, maxOutput ${FUZZ_MAX_OUTPUT} bytes; only DecompressError expected`,
    // unbzip2-stream is JavaScript: its blocks guide the bzip2 campaign too.
    covers: [...PROJECT, "/node_modules/unbzip2-stream/"],
    maxLength: 1 * MIB,
    async load() {
      const { decompress } = await import("../src/compress/decompress.js");
      const { DecompressError } = await import("../src/compress/DecompressError.js");
      return {
        async run(data) {
          let total = 0;
          for await (const chunk of decompress(format, data, { maxOutput: FUZZ_MAX_OUTPUT })) total += chunk.length;
          if (total > FUZZ_MAX_OUTPUT) throw new InvariantBroken(`${total} bytes of output past the limit`);
        },
        expected: (err) => err instanceof DecompressError,
      };
    },
    fields: () => [],
    seeds: async () => (await seeds()).compressedSeeds(format),
  };
}

export const TARGETS: Record<string, Target> = {
  elf: {
    name: "elf",
    describe: "readElf, kernelFindings, and the prefix path (elfBytesNeeded, readElf of the prefix); only ElfError expected",
    covers: PROJECT,
    maxLength: 2 * MIB,
    async load() {
      const { readElf } = await import("../src/elf/readElf.js");
      const { elfBytesNeeded } = await import("../src/elf/elfBytesNeeded.js");
      const { ElfError } = await import("../src/elf/ElfError.js");
      const { kernelFindings } = await import("../src/checkImage/kernelFindings.js");
      return {
        run(data) {
          try {
            kernelFindings(readElf(data), data);
          } catch (err) {
            if (!(err instanceof ElfError)) throw err;
          }
          // As check-image reads a decompressed vmlinux: a growing prefix of unknown size.
          const prefix = data.subarray(0, Math.max(64, data.length >> 1));
          const n = elfBytesNeeded(prefix);
          if ("error" in n) return;
          if (!Number.isSafeInteger(n.need) || n.need < 0) throw new InvariantBroken(`elfBytesNeeded gave need ${n.need}`);
          if (n.need <= data.length) {
            const elf = readElf(data.subarray(0, Math.max(n.need, prefix.length)), { fileSize: Infinity });
            kernelFindings(elf, data.subarray(0, Math.max(n.need, prefix.length)));
          }
        },
        expected: (err) => err instanceof ElfError,
      };
    },
    fields: (b) => elfFields(b),
    seeds: async () => (await seeds()).elfSeeds(),
  },
  bzimage: {
    name: "bzimage",
    describe: "isBzImage and readBzImage; only BzImageError expected, and the payload must lie inside the file",
    covers: PROJECT,
    maxLength: 2 * MIB,
    async load() {
      const { isBzImage, readBzImage } = await import("../src/bzimage/readBzImage.js");
      const { BzImageError } = await import("../src/bzimage/BzImageError.js");
      return {
        run(data) {
          isBzImage(data);
          const info = readBzImage(data);
          if (info.payloadOffset < 0 || info.payloadLength <= 0 || info.payloadOffset + info.payloadLength > data.length) {
            throw new InvariantBroken(`payload ${info.payloadOffset}+${info.payloadLength} outside the ${data.length}-byte file`);
          }
        },
        expected: (err) => err instanceof BzImageError,
      };
    },
    fields: (b) => bzImageFields(b),
    seeds: async () => (await seeds()).bzImageSeeds(),
  },
  "check-image": {
    name: "check-image",
    describe: `checkImageBytes (ELF or bzImage with any compression), maxDecompressed ${FUZZ_MAX_OUTPUT} bytes; it must never throw`,
    covers: [...PROJECT, "/node_modules/unbzip2-stream/"],
    maxLength: 2 * MIB,
    async load() {
      const { checkImageBytes } = await import("../src/checkImage/checkImage.js");
      return {
        async run(data) {
          const r = await checkImageBytes("fuzz-input", data, { maxDecompressed: FUZZ_MAX_OUTPUT });
          if (r.verdict !== "valid" && r.verdict !== "invalid") throw new InvariantBroken(`verdict ${String(r.verdict)}`);
        },
        expected: () => false,
      };
    },
    fields: (b) => imageFields(b),
    seeds: async () => (await seeds()).checkImageSeeds(),
  },
  gzip: decompressTarget("gzip"),
  xz: decompressTarget("xz"),
  lzma: decompressTarget("lzma"),
  lz4: decompressTarget("lz4"),
  zstd: decompressTarget("zstd"),
  bzip2: decompressTarget("bzip2"),
  lzo: decompressTarget("lzo"),
  probe: {
    name: "probe",
    describe: "parseProbeReport of the input as latin1 console text, every frame's CRC made right first (else nearly every mutant stops at the CRC); only ProbeReportError expected",
    covers: PROJECT,
    maxLength: 256 * 1024,
    text: true,
    async load() {
      const { parseProbeReport } = await import("../probe/parseProbeReport.js");
      const { ProbeReportError } = await import("../probe/ProbeReportError.js");
      const { fixFrameCrcs } = await import("./probeFrames.js");
      return {
        run(data) {
          parseProbeReport(fixFrameCrcs(Buffer.from(data).toString("latin1")));
        },
        expected: (err) => err instanceof ProbeReportError,
      };
    },
    fields: () => [],
    seeds: async () => (await seeds()).probeSeeds(),
  },
  // Planted bugs, to show the fuzzer works (test/fuzz/fuzzer.test.ts).
  "toy-compare": {
    name: "toy-compare",
    describe: "test target: throws once the input starts with the bytes F U Z Z (a four-byte comparison, one byte at a time)",
    covers: ["/fuzz/toyTargets."],
    maxLength: 4,
    async load() {
      const { toyCompare } = await import("./toyTargets.js");
      return { run: toyCompare, expected: () => false };
    },
    fields: () => [],
    seeds: async () => [new Uint8Array(4)],
    test: true,
  },
  "toy-hang": {
    name: "toy-hang",
    describe: "test target: loops forever on an input whose first byte is 0x48",
    covers: ["/fuzz/toyTargets."],
    maxLength: 16,
    async load() {
      const { toyHang } = await import("./toyTargets.js");
      return { run: toyHang, expected: () => false };
    },
    fields: () => [],
    seeds: async () => [Uint8Array.of(0x47, 0, 0, 0)],
    test: true,
  },
  "toy-memory": {
    name: "toy-memory",
    describe: "test target: fills 160 MiB on an input whose first byte is 0x4d",
    covers: ["/fuzz/toyTargets."],
    maxLength: 16,
    async load() {
      const { toyMemory } = await import("./toyTargets.js");
      return { run: toyMemory, expected: () => false };
    },
    fields: () => [],
    seeds: async () => [Uint8Array.of(0x4c, 0, 0, 0)],
    test: true,
  },
};
