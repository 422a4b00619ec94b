import type { AdapterOptions } from "../Adapter.js";

/** A string option's value: undefined when absent, "" when reset. */
export function stringOption(opts: AdapterOptions, key: string): string | undefined {
  const v = opts[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new Error(`option ${key} takes one value`);
  return v;
}

/** A repeatable option's values (a single value counts as a list of one). */
export function listOption(opts: AdapterOptions, key: string): string[] | undefined {
  const v = opts[key];
  if (v === undefined) return undefined;
  if (typeof v === "number") throw new Error(`option ${key} takes words, not a number`);
  return typeof v === "string" ? [v] : v;
}
