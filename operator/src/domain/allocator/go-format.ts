/**
 * MetalLB builds its event and error texts with Go's fmt verbs. To emit byte-identical messages
 * we need %q of a string (strconv.Quote), %q of a list (`["a" "b"]`) and %v of a string list
 * (`[a b]`). Only what the allocator's messages use is implemented.
 */
const ESCAPES: Readonly<Record<string, string>> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  '"': '\\"',
  "\\": "\\\\",
};

const PLAIN = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

/** Go's %q of a string. */
export function goQuote(text: string): string {
  if (PLAIN.test(text)) return `"${text}"`;
  let out = '"';
  for (const ch of text) {
    const escaped = ESCAPES[ch];
    if (escaped !== undefined) out += escaped;
    else {
      const code = ch.codePointAt(0) ?? 0;
      if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
      else out += ch;
    }
  }
  return `${out}"`;
}

/** Go's %q of a slice of strings or net.IPs: `["10.0.0.1" "fc00::1"]`. */
export function goQuoteList(items: readonly string[]): string {
  return `[${items.map(goQuote).join(" ")}]`;
}

/** Go's %v of a slice of strings: `[10.96.0.1 fd00::1]`. */
export function goList(items: readonly string[]): string {
  return `[${items.join(" ")}]`;
}

/** What Go prints for a nil net.IP (an unparseable address) via String(). */
export const GO_NIL_IP = "<nil>";
