/** One word as a POSIX shell reads it back: bare when it is safe, else in single quotes. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** argv as one line a POSIX shell reads back into the same words, for copy and paste. */
export function shellLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}
