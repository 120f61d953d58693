/**
 * Text from files (node names, producers, target names) on its way to a terminal or a document. A model
 * may name a layer "\x1b]0;pwned\x07" or "<script>": snnc prints what the file says, never what it does.
 */

// C0 controls, DEL and C1 controls (0x80–0x9f: 8-bit CSI and friends).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

const escapeChar = (c: string): string => {
  switch (c) {
    case '\n': return '\\n';
    case '\r': return '\\r';
    case '\t': return '\\t';
    default: return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
};

/** One cell or name: every control character escaped (`\n`, `\r`, `\t`, `\u001b`…), so it stays on its line. */
export function printable(s: string): string {
  return s.replace(CONTROL, escapeChar);
}

/** Multi-line output for a terminal: control characters escaped except the newlines between lines. */
export function printableLines(s: string): string {
  return s.replace(CONTROL_BUT_NEWLINE, escapeChar);
}
