import { shellQuote } from "../../src/_internals/shellQuote.js";

/**
 * A VMM command line as the lines of a shell script that runs it from a reproducer
 * folder: every path under the adapter's temporary folder (`workDir`, gone once the
 * boot ended) becomes "$HERE/...", and each path in `renamed` (a file the reproducer
 * copies, such as a hypervisor image from the cache) becomes "$HERE/<its new name>".
 * Only those exact paths are rewritten, wherever they occur inside a word (QEMU's
 * `-initrd a,b` lists several), so the VMM's own options keep their values.
 */
export function reproCommand(command: readonly string[], workDir: string | undefined, renamed: Readonly<Record<string, string>> = {}): string {
  const swaps: [string, string][] = [...Object.entries(renamed).map(([from, to]) => [from, to] as [string, string]), ...(workDir ? [[workDir.replace(/\/+$/, ""), ""] as [string, string]] : [])];
  const word = (a: string): string => {
    // Split the word at every occurrence of any swapped path, longest first.
    const parts: string[] = [];
    let rest = a;
    for (;;) {
      let best: { at: number; from: string; to: string } | undefined;
      for (const [from, to] of swaps) {
        const at = rest.indexOf(from);
        if (at >= 0 && (!best || at < best.at || (at === best.at && from.length > best.from.length))) best = { at, from, to };
      }
      if (!best) break;
      if (best.at > 0) parts.push(shellQuote(rest.slice(0, best.at)));
      parts.push(best.to ? `"$HERE"/${shellQuote(best.to)}` : `"$HERE"`);
      rest = rest.slice(best.at + best.from.length);
    }
    if (rest || parts.length === 0) parts.push(shellQuote(rest));
    return parts.join("");
  };
  const words = command.map(word);
  // One option and its value a line.
  const lines: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const next = words[i + 1];
    if (i > 0 && w.startsWith("-") && next !== undefined && !next.startsWith("-")) {
      lines.push(`${w} ${next}`);
      i++;
    } else lines.push(w);
  }
  return lines.join(" \\\n  ");
}
