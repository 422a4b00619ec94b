/** One thing wrong with a console log as a probe report. */
export type ProbeProblem =
  | { kind: "no-report" }
  | { kind: "no-end" }
  | { kind: "missing"; seq: number }
  /** Missing lines past the first MAX_LISTED_MISSING listed ones (parseProbeReport), counted. */
  | { kind: "missing-more"; count: number }
  | { kind: "bad-checksum"; text: string; seq: number | null }
  | { kind: "conflict"; seq: number }
  | { kind: "bad-line"; seq: number; reason: string }
  | { kind: "fatal"; vector: number; eip: number; errorCode: number };

/**
 * A console log that is not one whole probe report: no line at all, no END line
 * (the harness calls that a crash), lines missing or garbled, or lines that do
 * not say what the format says. `lines` counts the verified lines it had.
 */
export class ProbeReportError extends Error {
  constructor(
    readonly problems: ProbeProblem[],
    readonly lines: number,
  ) {
    super(`not a complete probe report (${lines} verified lines): ${problems.slice(0, 8).map(describe).join("; ")}${problems.length > 8 ? `; and ${problems.length - 8} more` : ""}`);
    this.name = "ProbeReportError";
  }

  /** Whether the probe never finished (no END line): a crash or hang of the guest, not of the log. */
  get unfinished(): boolean {
    return this.problems.some((p) => p.kind === "no-end" || p.kind === "no-report");
  }
}

function describe(p: ProbeProblem): string {
  switch (p.kind) {
    case "no-report":
      return "no PVHP line";
    case "no-end":
      return "no END line";
    case "missing":
      return `line ${p.seq} missing`;
    case "missing-more":
      return `${p.count} more lines missing`;
    case "bad-checksum":
      return `line ${p.seq ?? "?"} garbled: ${JSON.stringify(p.text.slice(0, 100))}`;
    case "conflict":
      return `line ${p.seq} seen twice with different text`;
    case "bad-line":
      return `line ${p.seq}: ${p.reason}`;
    case "fatal":
      return `the probe took exception ${p.vector} at 0x${p.eip.toString(16)} (error code 0x${p.errorCode.toString(16)}) outside a guarded phase`;
  }
}
