import { z } from "zod";

/** Worst wins: PASS < SKIP < ERROR < FAIL < TIMEOUT < CRASH (see README, "Verdicts"). */
export const STATUSES = ["PASS", "SKIP", "ERROR", "FAIL", "TIMEOUT", "CRASH"] as const;
export const Status = z.enum(STATUSES);
export type Status = z.infer<typeof Status>;
/** The statuses that count against a loader (or the harness): all but PASS and SKIP. */
export const BAD_STATUSES: ReadonlySet<string> = new Set<Status>(["FAIL", "ERROR", "CRASH", "TIMEOUT"]);

export const Evidence = z
  .object({
    expected: z.string(),
    seen: z.string(),
    address: z.number().int().optional(),
    detail: z.string().optional(),
  })
  .strict();
export type Evidence = z.infer<typeof Evidence>;

export const Verdict = z
  .object({
    requirement: z.string(),
    status: Status,
    /** A stable code for this kind of result (e.g. "magic-mismatch"). */
    code: z.string(),
    message: z.string(),
    /** SKIP because the requirement does not apply to this case (not a missing capability). */
    notApplicable: z.boolean().optional(),
    evidence: Evidence.optional(),
  })
  .strict();
export type Verdict = z.infer<typeof Verdict>;

export function worst(a: Status, b: Status): Status {
  return STATUSES.indexOf(a) >= STATUSES.indexOf(b) ? a : b;
}
