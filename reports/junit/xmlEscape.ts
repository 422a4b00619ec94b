/*
 * XML 1.0 allows only #x9 #xA #xD [#x20-#xD7FF] [#xE000-#xFFFD] [#x10000-#x10FFFF],
 * and not even a character reference may name the others: a guest's serial output
 * or a hostile note name would make the whole report unparseable. They are spelled
 * out as "\xNN" (or "\uDxxx" for a lone surrogate) so the reader still sees them.
 */
const FORBIDDEN = String.raw`[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]`;
const TEXT = new RegExp(String.raw`[&<>\r]|` + FORBIDDEN, "g");
// Newlines and tabs in an attribute would be normalised to spaces by any parser.
const ATTR = new RegExp(String.raw`[&<>"'\t\n\r]|` + FORBIDDEN, "g");

const NAMED: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

function replace(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).toUpperCase()}`;
}

/** Character data: safe anywhere between tags (including "]]>", whose ">" is escaped). */
export function xmlEscape(s: string): string {
  TEXT.lastIndex = 0;
  return TEXT.test(s) ? s.replace(TEXT, replace) : s;
}

/** An attribute value, to be put between double quotes. */
export function xmlAttr(s: string): string {
  ATTR.lastIndex = 0;
  return ATTR.test(s) ? s.replace(ATTR, replace) : s;
}
