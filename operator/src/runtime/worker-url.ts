/**
 * Where a Worker's code is, wherever the module starting it runs from (measured with Bun 1.4.5).
 * `fromSource` is the worker's path under operator/src without extension (e.g.
 * "membership/worker"); `here` is the caller's import.meta.url, and the caller sits in the
 * worker's directory.
 * - from source: the .ts file beside the caller;
 * - from the image's bundle (deploy/build.ts): the caller is inlined into main.js, and each worker
 *   is an entry point of its own at <fromSource>.js beside it;
 * - from a `bun build --compile` executable: entry points are stored relative to their common
 *   directory (operator/src), so the worker is at <fromSource>.ts beside the bundled main.
 */
export function workerUrl(here: string, fromSource: string): string {
  if (here.startsWith("file:///$bunfs/")) return new URL(`./${fromSource}.ts`, here).href;
  if (here.endsWith(".js")) return new URL(`./${fromSource}.js`, here).href;
  const file = fromSource.slice(fromSource.lastIndexOf("/") + 1);
  return new URL(`./${file}.ts`, here).href;
}
