import * as allure from "allure-js-commons/sync";

/**
 * What a suite test found wrong, attached as text before its assertion fails, so the
 * Allure report carries the whole list where the assertion message may cut it short.
 * Nothing is attached when nothing was found: a passing test stays clean.
 */
export function attachSuiteFindings(name: string, lines: readonly string[], context?: string): void {
  if (lines.length === 0) return;
  allure.attachment(name, [...(context ? [context, ""] : []), ...lines].join("\n") + "\n", "text/plain");
}
