import { execFileSync } from "node:child_process";

/**
 * Whether an external program is available. Outside CI a test may skip without it
 * (and says why); in CI (CI=true) a missing program is a failure, never a skip.
 */
export function haveTool(cmd: string, args: string[] = ["--version"]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

export const inCI = process.env["CI"] === "true";

/** Returns a reason to skip, or undefined to run. Throws in CI when the tool is missing. */
export function skipUnlessTool(cmd: string, args: string[] = ["--version"], installHint = ""): string | undefined {
  if (haveTool(cmd, args)) return undefined;
  const why = `${cmd} is not installed${installHint ? ` (${installHint})` : ""}`;
  if (inCI) throw new Error(`CI: ${why}; .ci/run must install it`);
  console.warn(`skipping: ${why}`);
  return why;
}
