import { readFile } from "node:fs/promises";
import { KubeConfigError } from "./errors.ts";

/**
 * Where a bearer token comes from. Bound ServiceAccount tokens (KEP-1205) expire and are rewritten
 * in place by the kubelet, so a file-backed source re-reads its file: after `maxAgeMs`, and at once
 * after `invalidate()` (the client calls it on every 401).
 */
export interface TokenSource {
  /** The token to send now. */
  current(): Promise<string>;
  /** Forget the cached token: the apiserver just rejected it. */
  invalidate(): void;
}

export function staticToken(token: string): TokenSource {
  return { current: () => Promise.resolve(token), invalidate: () => {} };
}

export interface FileTokenOptions {
  /**
   * How long a read token is trusted before the file is read again. client-go re-reads its
   * in-cluster token file every minute; the kubelet refreshes a token at 80% of its lifetime
   * (at least an hour), so a minute is far inside the window.
   */
  maxAgeMs?: number;
  now?: () => number;
}

export function fileToken(path: string, options: FileTokenOptions = {}): TokenSource {
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const now = options.now ?? Date.now;
  let cached: { token: string; readAt: number } | undefined;
  return {
    async current() {
      if (cached && now() - cached.readAt < maxAgeMs) return cached.token;
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        // A rotation in progress can briefly leave no file; keep the last token rather than none.
        if (cached) return cached.token;
        throw new KubeConfigError(`cannot read token file ${path}: ${(error as Error).message}`);
      }
      cached = { token: text.trim(), readAt: now() };
      return cached.token;
    },
    invalidate() {
      // Stale, not gone: the next call re-reads, yet can still fall back to it if the file is missing.
      if (cached) cached = { ...cached, readAt: Number.NEGATIVE_INFINITY };
    },
  };
}
