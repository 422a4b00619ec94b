import { z } from "zod";
import { Status } from "../model/Verdict.js";

/**
 * A known deviation of one implementation: which records it covers and which
 * statuses they may have. Written by `pvh-conformance update-expectations` from a
 * results file, never by hand; published as spec/schema/expectations.schema.json.
 */
export const Expectation = z
  .object({
    requirement: z.string().describe('a requirement id, or "*" for a case-level outcome (CRASH, TIMEOUT) that touches every requirement'),
    variants: z.array(z.string()).min(1),
    when: z.array(z.string()).describe("case tags that must all be present (empty: every case)"),
    allow: z.array(Status).min(1).describe("statuses the covered records may have"),
    reason: z.string().describe("what was seen, with the evidence: counts, a loader message, example cases (rewritten on every regeneration)"),
    note: z.string().optional().describe("a person's explanation of the deviation; update-expectations keeps it when it regenerates the entry"),
    link: z.string().optional().describe("a bug report or mailing-list thread about the deviation; kept across regeneration like note"),
  })
  .strict();
export type Expectation = z.infer<typeof Expectation>;

const GeneratedFrom = z
  .object({ seed: z.number().int(), cases: z.number().int(), suiteVersion: z.string(), finishedAt: z.string() })
  .strict();

export const ExpectationsFile = z
  .object({
    format: z.literal("pvh-conformance/expectations@1"),
    adapter: z.string(),
    version: z.string().describe("the implementation's version string these were made from"),
    generatedFrom: GeneratedFrom,
    mergedFrom: z
      .array(GeneratedFrom.extend({ variants: z.array(z.string()).min(1) }).strict())
      .optional()
      .describe("later runs whose entries replaced those of their variants (update-expectations --merge)"),
    expectations: z.array(Expectation),
  })
  .strict();
export type ExpectationsFile = z.infer<typeof ExpectationsFile>;
