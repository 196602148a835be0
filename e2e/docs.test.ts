/**
 * The documentation stands alone in a fresh clone: every relative link in the repository's Markdown
 * files leads to a file of the repository (and, with a `#fragment`, to a heading of that file), no
 * page points outside it, and the README keeps its two commands. No testbed needed.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(import.meta.dir, "..");
const SKIP = new Set(["node_modules", "dist", ".git", ".cache"]);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name)) return [];
    const p = join(dir, e.name);
    if (e.isDirectory()) return markdownFiles(p);
    return e.name.endsWith(".md") ? [p] : [];
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Inline links and images outside code: `[text](target)`. */
function links(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

const files = markdownFiles(ROOT);

describe("Markdown links", () => {
  test("there are pages to check", () => {
    expect(files.map((f) => relative(ROOT, f))).toContain("README.md");
  });

  test("every relative link resolves inside the repository", () => {
    const broken: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      for (const target of links(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path, fragment] = target.split("#", 2) as [string, string | undefined];
        const dest = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
        const where = `${relative(ROOT, file)} -> ${target}`;
        if (relative(ROOT, dest).startsWith("..")) broken.push(`${where} (outside the repository)`);
        else if (!existsSync(dest)) broken.push(`${where} (no such file)`);
        else if (fragment && statSync(dest).isFile() && dest.endsWith(".md")) {
          if (!anchors(readFileSync(dest, "utf8")).has(fragment)) broken.push(`${where} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  test("no page refers to files beside the repository", () => {
    const outside = files.filter((f) => /\.\.\/shared\//.test(readFileSync(f, "utf8")));
    expect(outside.map((f) => relative(ROOT, f))).toEqual([]);
  });
});

describe("README", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");

  test("documents the two commands and the BGP lab", () => {
    for (const command of ["./dev lab", "./dev test", "./dev lab --bgp"]) expect(readme).toContain(command);
  });

  test("links the license, the contributor guide and the figures", () => {
    for (const page of ["LICENSE", "CONTRIBUTING.md", "docs/figures.md"])
      expect(readme).toContain(`](${page}`);
  });
});
