import { z } from "zod";

const u32 = z.number().int().min(0).max(0xffffffff);
const u64 = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * A segment register as the CPU holds it: the selector and the decoded descriptor
 * cache. Checks compare decoded attributes, never a VMM's raw attribute word,
 * because the accessed bit and limit encoding differ between loaders and are not
 * part of the ABI (see README, "Decisions").
 */
export const SegmentState = z
  .object({
    selector: z.number().int().min(0).max(0xffff),
    base: u64,
    /** Effective limit in bytes (already scaled by G). */
    limit: u32,
    /** Descriptor type field (4 bits): for S=1 bit 3 = code, for code bit 1 = readable, for data bit 1 = writable. */
    type: z.number().int().min(0).max(15),
    /** S: 1 = code/data, 0 = system (TSS, LDT). */
    s: z.number().int().min(0).max(1),
    dpl: z.number().int().min(0).max(3),
    present: z.boolean(),
    /** D/B: 1 = 32-bit. */
    db: z.number().int().min(0).max(1),
    /** L: 64-bit code. */
    l: z.number().int().min(0).max(1),
    g: z.number().int().min(0).max(1),
    avl: z.number().int().min(0).max(1),
    /** An unusable (null-loaded) segment, as VMX reports it. */
    unusable: z.boolean().optional(),
  })
  .strict();
export type SegmentState = z.infer<typeof SegmentState>;

export const TableRegister = z.object({ base: u64, limit: z.number().int().min(0).max(0xffff) }).strict();
export type TableRegister = z.infer<typeof TableRegister>;

export const SEGMENT_NAMES = ["cs", "ds", "es", "ss", "fs", "gs", "tr", "ldtr"] as const;
export type SegmentName = (typeof SEGMENT_NAMES)[number];

export const CpuState = z
  .object({
    eax: u32, ebx: u32, ecx: u32, edx: u32, esi: u32, edi: u32, ebp: u32, esp: u32,
    eip: u32,
    eflags: u32,
    cr0: u32,
    cr3: u32,
    cr4: u32,
    efer: u64,
    segments: z.object(Object.fromEntries(SEGMENT_NAMES.map((n) => [n, SegmentState])) as Record<SegmentName, typeof SegmentState>).strict(),
    gdtr: TableRegister,
    idtr: TableRegister,
  })
  .strict();
export type CpuState = z.infer<typeof CpuState>;
