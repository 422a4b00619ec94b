import { z } from "zod";

/**
 * A VMM described in a file instead of in TypeScript (`run --vmm FILE`): how to start
 * it on a case, where the probe's report comes out, what a refusal looks like, what it
 * can express. Published as spec/schema/vmm-descriptor.schema.json.
 *
 * Templates: a string may name the case's values as ${kernel}, ${initrd}, ${cmdline},
 * ${memoryMiB}, ${scratch} (a temporary folder of the boot) and ${binary};
 * ${json:NAME} inserts the value as a JSON string (for a configuration file).
 */
const Arg = z.union([
  z.string(),
  z
    .object({
      if: z.enum(["cmdline", "initrd"]).describe("include these arguments only when the case has a command line, or a module"),
      args: z.array(z.string()).min(1),
    })
    .strict(),
]);

export const VmmDescriptor = z
  .object({
    format: z.literal("pvh-conformance/vmm@1"),
    name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/).describe("a short name, used in run info and reports"),
    description: z.string(),
    measured: z.boolean().describe("whether this project has run the descriptor against the real VMM (false: written from the VMM's documentation only)"),
    binary: z.string().describe("the VMM's program: a name looked up on PATH, or a path; --vmm-binary overrides it"),
    version: z.array(z.string()).min(1).describe("a command whose first line of output names the VMM's version, e.g. [\"${binary}\", \"--version\"]"),
    command: z.array(Arg).min(1).describe("the command line that boots one case; the first word is the program"),
    files: z
      .array(z.object({ name: z.string().regex(/^[\w.-]+$/), text: z.string() }).strict())
      .default([])
      .describe("files written into ${scratch} before the VMM starts (a configuration file), from templates"),
    report: z
      .object({
        from: z.enum(["stdout", "stderr", "file"]).describe("where the VMM sends the guest's port 0xe9 or COM1 output"),
        file: z.string().optional().describe('with from "file": the file, a template such as "${scratch}/debugcon.log"'),
        prefix: z.string().default("").describe("what the VMM puts before each guest line (Xen's \"(d1) \"), removed before parsing"),
      })
      .strict()
      .refine((r) => r.from !== "file" || r.file !== undefined, { message: 'report.from "file" needs report.file' }),
    refusal: z
      .object({
        pattern: z.string().optional().describe("a regular expression the VMM's output matches when it refuses an image; without one, any exit before the report with a status other than 0 is a refusal"),
      })
      .strict()
      .default({}),
    deadlines: z
      .object({
        bootSeconds: z.number().positive().default(30).describe("from start to the end of the probe's report"),
        malformedGraceSeconds: z.number().positive().default(2).describe("a malformed image (no probe in it) still running this long after start was not refused"),
      })
      .strict()
      .default({ bootSeconds: 30, malformedGraceSeconds: 2 }),
    capabilities: z
      .object({
        elfClasses: z.array(z.union([z.literal(32), z.literal(64)])).min(1),
        memoryMiB: z.object({ min: z.number().int().positive(), max: z.number().int().positive() }).strict(),
        maxModules: z.number().int().min(0).max(1).describe("modules the command line can pass (0 or 1: the ${initrd})"),
        maxCmdline: z.number().int().min(0),
        relocation: z.boolean().describe("whether the VMM moves images by PHYS32_RELOC"),
        malformed: z.boolean().describe("whether malformed images may be given to it"),
      })
      .strict(),
    variants: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
            description: z.string(),
            default: z.boolean().default(true),
            args: z.array(Arg).default([]).describe("appended to the command"),
          })
          .strict(),
      )
      .min(1)
      .default([{ id: "default", description: "the command as it is", default: true, args: [] }]),
  })
  .strict();
export type VmmDescriptor = z.infer<typeof VmmDescriptor>;
