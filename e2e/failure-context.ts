/**
 * What `bun test` printed for each failing test, kept so the test command can print it again at
 * the end: CI shows only the tail of a long run, and a failure's own lines (its error, and what
 * the test logged, such as a timeline) are what explains it. Bun prints a test's output before
 * its `(fail)` line, so a failure's context is everything since the previous result line.
 */

/** A result line as bun prints it: `(pass) name [1.23ms]`, `(fail) …`, `(skip) …`, `(todo) …`. */
const RESULT = /^\((pass|fail|skip|todo)\) /;
/** A file header: `e2e/bgp/graceful-restart.test.ts:`. */
const FILE_HEADER = /^\S+\.test\.[cm]?[jt]sx?:$/;

export interface FailureOutput {
  /** The `(fail) …` line. */
  result: string;
  /** The lines printed since the previous result line, the last `maxLines` of them. */
  lines: string[];
  /** How many earlier lines were dropped to keep `maxLines`. */
  dropped: number;
}

export class FailureContext {
  private pending: string[] = [];
  private droppedPending = 0;
  private partial = "";
  readonly failures: FailureOutput[] = [];

  constructor(private readonly maxLines = 120) {}

  /** Feeds a chunk of the output; a line split across chunks is joined. */
  write(text: string): void {
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.line(line);
  }

  /** Ends the output: a last line without a newline still counts. */
  end(): void {
    if (this.partial !== "") this.line(this.partial);
    this.partial = "";
  }

  private line(raw: string): void {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: bun colours its output on a terminal
    const line = raw.replace(/\x1b\[[0-9;]*m/g, "");
    if (RESULT.test(line)) {
      if (line.startsWith("(fail) ")) {
        this.failures.push({ result: line, lines: this.pending, dropped: this.droppedPending });
      }
      this.pending = [];
      this.droppedPending = 0;
      return;
    }
    if (FILE_HEADER.test(line)) {
      this.pending = [];
      this.droppedPending = 0;
    }
    this.pending.push(line);
    if (this.pending.length > this.maxLines) {
      this.pending.shift();
      this.droppedPending++;
    }
  }

  /** The failures' output as one text, the first `maxFailures` of them. */
  report(maxFailures = 5): string {
    const shown = this.failures.slice(0, maxFailures);
    const parts = shown.map((f) =>
      [
        `--- ${f.result}`,
        ...(f.dropped > 0 ? [`(${f.dropped} earlier lines not shown)`] : []),
        ...f.lines,
      ].join("\n"),
    );
    if (this.failures.length > shown.length) {
      parts.push(`(${this.failures.length - shown.length} more failures not shown again)`);
    }
    return parts.join("\n\n");
  }
}
