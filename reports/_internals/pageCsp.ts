import { createHash } from "node:crypto";

const sha256 = (s: string): string => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`;

/**
 * The Content-Security-Policy of a self-contained report page: only its own inline
 * style and script (by hash), no network, no forms. matrix.html and compare.html use it.
 */
export function pageCsp(style: string, script: string): string {
  return `default-src 'none'; style-src ${sha256(style)}; script-src ${sha256(script)}; img-src data:; base-uri 'none'; form-action 'none'`;
}
