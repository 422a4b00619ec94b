import { z } from "zod";
import { Evidence, Status } from "../model/Verdict.js";

/**
 * results.json: the canonical output of a run, published as
 * spec/schema/results.schema.json. Every report is a view of it.
 */
export const ResultRecord = z
  .object({
    requirement: z.string().describe("id; its level, side and statement are in run.requirements"),
    adapter: z.string(),
    variant: z.string(),
    caseId: z.string(),
    status: Status,
    /** The expectations file's status for this record, when one was given. */
    expected: Status.optional(),
    code: z.string(),
    message: z.string(),
    notApplicable: z.boolean().optional(),
    evidence: Evidence.optional(),
  })
  .strict();
export type ResultRecord = z.infer<typeof ResultRecord>;

export const CaseDivergence = z
  .object({
    field: z.string().describe("the ABI-defined fact that differs, e.g. \"nr_modules\" or \"cs\""),
    reference: z.string().describe("what the reference loader did"),
    other: z.string().describe("what this adapter did"),
    requirement: z.string().describe("the requirement whose text defines the field"),
    explained: z.boolean().describe("whether that requirement's check failed on this adapter for this case; false points at a missing check or a reference-loader bug"),
  })
  .strict();
export type CaseDivergence = z.infer<typeof CaseDivergence>;

export const CaseRecord = z
  .object({
    caseId: z.string(),
    adapter: z.string(),
    variant: z.string(),
    replay: z
      .object({ seed: z.number().int(), index: z.number().int(), caseSeed: z.number().int(), example: z.string().optional().describe("a boundary example's name (replay with --case example:NAME)") })
      .strict(),
    outcome: z.enum(["entered", "rejected", "crashed", "timeout", "harness-error"]),
    malformed: z.string().nullable(),
    message: z.string().nullable(),
    command: z.array(z.string()).nullable(),
    replayCommand: z.string().optional().describe("the pvh-conformance command that runs this case again, as one shell line"),
    summary: z.string().describe("what the case holds, in a line"),
    tags: z.array(z.string()).describe("facts of the case that expectations can name"),
    divergences: z
      .array(CaseDivergence)
      .optional()
      .describe("where this adapter's observation differs from the reference loader's on the same case; absent for the reference loader itself"),
    differentialError: z.string().optional().describe("why the case could not be compared with the reference loader (then it has no divergences)"),
  })
  .strict();
export type CaseRecord = z.infer<typeof CaseRecord>;

export const Results = z
  .object({
    format: z.literal("pvh-conformance/results@1"),
    run: z
      .object({
        suiteVersion: z.string(),
        startedAt: z.string(),
        finishedAt: z.string(),
        seed: z.number().int(),
        cases: z.number().int().describe("cases per variant in the whole run (all shards)"),
        shard: z.object({ index: z.number().int().positive(), count: z.number().int().positive() }).strict().optional().describe("this file's slice, when sharded; absent once merged"),
        host: z.object({ hostname: z.string(), platform: z.string(), node: z.string(), cpus: z.number().int() }).strict(),
        adapters: z.array(
          z
            .object({
              id: z.string(),
              variants: z.array(z.string()),
              version: z.string(),
              binary: z.string().nullable(),
              details: z.record(z.string(), z.string()).optional(),
            })
            .strict(),
        ),
        command: z.array(z.string()),
        requirements: z
          .record(
            z.string(),
            z.object({ level: z.enum(["must", "should", "interop"]), side: z.enum(["loader", "kernel"]), statement: z.string(), source: z.string() }).strict(),
          )
          .describe("the catalogue entries the records name, as they were for this run"),
      })
      .strict(),
    cases: z.array(CaseRecord),
    records: z.array(ResultRecord),
  })
  .strict();
export type Results = z.infer<typeof Results>;
