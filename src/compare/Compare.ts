import { z } from "zod";
import { Evidence, Status } from "../model/Verdict.js";

/**
 * The document `pvh-conformance compare --json` prints, published as
 * spec/schema/compare.schema.json: two or more results.json side by side, one column
 * per input (oldest first), and per requirement and adapter variant what changed
 * from each input to the next that ran the same variant.
 */

export const Change = z
  .enum(["regressed", "fixed", "still-failing", "unchecked", "good", "new", "gone"])
  .describe(
    "regressed: bad (FAIL, ERROR, CRASH, TIMEOUT) on a case that was not bad before, or bad where nothing was; fixed: bad before, none bad now and some PASS; still-failing: bad on both sides; unchecked: bad before, now only SKIP; good: bad on neither side; new/gone: only the later/earlier side has records",
  );
export type Change = z.infer<typeof Change>;

export const CaseChange = z.enum(["regressed", "fixed", "still-failing", "unchecked"]);
export type CaseChange = z.infer<typeof CaseChange>;

export const Counts = z
  .object({
    PASS: z.number().int(),
    SKIP: z.number().int().describe("not checked (a capability is missing)"),
    NA: z.number().int().describe("SKIP because the requirement does not apply to the case"),
    ERROR: z.number().int(),
    FAIL: z.number().int(),
    TIMEOUT: z.number().int(),
    CRASH: z.number().int(),
  })
  .strict();
export type Counts = z.infer<typeof Counts>;

export const CompareCase = z
  .object({
    caseId: z.string(),
    status: Status,
    code: z.string(),
    message: z.string(),
    evidence: Evidence.optional(),
    change: CaseChange.nullable().describe("against the same case in the previous input that ran this variant; null when that input did not run the case"),
    previous: Status.nullable().describe("this requirement's status on the same case in that input"),
    outcome: z.string(),
    summary: z.string().describe("what the case holds, in a line"),
    replay: z.string().describe("the command that runs this case again with this input's loader"),
    command: z.string().nullable().describe("the VMM command line, when the adapter ran one"),
    reproducer: z.string().nullable().describe("the case's repro/<case-id>/run.sh beside the input's results.json, when it exists"),
  })
  .strict();
export type CompareCase = z.infer<typeof CompareCase>;

export const Reason = z
  .object({
    status: Status,
    code: z.string(),
    message: z.string().describe("the most common message among these records"),
    evidence: Evidence.optional(),
    cases: z.number().int().describe("how many records have this status and code"),
  })
  .strict();
export type Reason = z.infer<typeof Reason>;

export const Column = z
  .object({
    label: z.string().describe("the worst status and its share, as the matrix page writes it: \"FAIL 27/27\", \"PASS 19/19\", \"SKIP (n/a) 8/8\""),
    total: z.number().int().describe("records (one per case)"),
    counts: Counts,
    bad: z.number().int().describe("FAIL + ERROR + CRASH + TIMEOUT"),
    reasons: z.array(Reason).describe("the bad records grouped by status and code, most frequent first"),
    cases: z.array(CompareCase).describe("the bad cases and the cases fixed or unchecked since the previous input, capped"),
    more: z.number().int().describe("such cases left out by the cap"),
  })
  .strict();
export type Column = z.infer<typeof Column>;

export const Step = z
  .object({
    from: z.number().int().describe("input index"),
    to: z.number().int().describe("input index"),
    change: Change,
    basis: z.enum(["cases", "requirement"]).describe("cases: judged on cases both inputs ran (same case id and content); requirement: on the aggregate, where the cases that decide it are not shared (different seeds)"),
    matched: z.number().int().describe("cases judged on both sides"),
    fixed: z.number().int(),
    regressed: z.number().int(),
    stillFailing: z.number().int(),
    unchecked: z.number().int(),
  })
  .strict();
export type Step = z.infer<typeof Step>;

export const Cell = z
  .object({
    requirement: z.string(),
    variant: z.string().describe("adapter/variant, a key of variants[]"),
    columns: z.array(Column.nullable()).describe("one per input; null where the input has no record of it"),
    steps: z.array(Step),
  })
  .strict();
export type Cell = z.infer<typeof Cell>;

export const CompareInput = z
  .object({
    label: z.string(),
    file: z.string(),
    suiteVersion: z.string(),
    seed: z.number().int(),
    cases: z.number().int().describe("cases per variant"),
    startedAt: z.string(),
    adapters: z.array(z.object({ id: z.string(), version: z.string(), binary: z.string().nullable(), variants: z.array(z.string()) }).strict()),
  })
  .strict();
export type CompareInput = z.infer<typeof CompareInput>;

export const VariantStep = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    matched: z.number().int().describe("cases with the same id and content on both sides"),
    onlyFrom: z.number().int(),
    onlyTo: z.number().int(),
    differing: z.number().int().describe("cases with the same id but different content (other capabilities); not matched"),
  })
  .strict();

export const CompareVariant = z
  .object({
    key: z.string(),
    adapter: z.string(),
    variant: z.string(),
    inputs: z.array(z.object({ version: z.string(), cases: z.number().int() }).strict().nullable()).describe("per input: the adapter's version and the variant's cases, or null if it did not run the variant"),
    steps: z.array(VariantStep),
  })
  .strict();
export type CompareVariant = z.infer<typeof CompareVariant>;

export const StepTotals = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    regressed: z.number().int(),
    fixed: z.number().int(),
    stillFailing: z.number().int(),
    unchecked: z.number().int(),
    good: z.number().int(),
    new: z.number().int(),
    gone: z.number().int(),
  })
  .strict()
  .describe("cells (requirement × variant) per change, from one input to the next");

export const CompareOutput = z
  .object({
    format: z.literal("pvh-conformance/compare@1"),
    mode: z.enum(["pair", "campaign"]),
    inputs: z.array(CompareInput).min(2),
    variants: z.array(CompareVariant),
    requirements: z.array(z.object({ id: z.string(), level: z.string(), side: z.string(), statement: z.string() }).strict()),
    cells: z.array(Cell),
    totals: z.array(StepTotals),
    regressed: z.boolean().describe("whether any step regressed (the command's exit status 1)"),
    cap: z.number().int().describe("cases listed per column of a cell"),
  })
  .strict();
export type CompareOutput = z.infer<typeof CompareOutput>;
