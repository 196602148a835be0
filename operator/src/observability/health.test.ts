import { describe, expect, test } from "bun:test";
import { startHealthServer } from "./health.ts";

describe("health server", () => {
  test("/readyz names what it waits for; /debug/memory says what the process holds", async () => {
    let why = "waiting for the first list";
    const server = startHealthServer("127.0.0.1", 0, () => ({ notReadyBecause: why }));
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.text()).toBe("not ready: waiting for the first list\n");
      why = "";
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const memory = (await (await fetch(`${base}/debug/memory`)).json()) as {
        rssMb: number;
        rssAnonMb: number;
        rssFileMb: number;
        heapUsedMb: number;
        heapSizeMb: number;
        heapCapacityMb: number;
        mallocMb: number;
        mallocBySizeMb: { small: number; medium: number; heapBlocks: number; large: number; huge: number };
        objectCount: number;
        topObjectTypes: [string, number][];
      };
      expect(memory.rssMb).toBeGreaterThan(10);
      // The kernel's split adds up to the total (within rounding), and the heap fits in what it occupies.
      expect(Math.abs(memory.rssAnonMb + memory.rssFileMb - memory.rssMb)).toBeLessThan(memory.rssMb * 0.2);
      expect(memory.heapCapacityMb).toBeGreaterThanOrEqual(memory.heapSizeMb);
      expect(memory.mallocMb).toBeGreaterThan(0);
      // The split by block size adds up to the total (bins are counted in whole blocks), and the
      // JavaScript heap's blocks are among them.
      const sizes = memory.mallocBySizeMb;
      const split = sizes.small + sizes.medium + sizes.heapBlocks + sizes.large + sizes.huge;
      expect(Math.abs(split - memory.mallocMb)).toBeLessThan(memory.mallocMb * 0.25 + 0.5);
      expect(sizes.heapBlocks).toBeGreaterThan(0);
      expect(memory.objectCount).toBeGreaterThan(1000);
      expect(memory.topObjectTypes.length).toBeGreaterThan(5);
      expect(memory.topObjectTypes[0]![1]).toBeGreaterThanOrEqual(memory.topObjectTypes[1]![1]);
      expect((await fetch(`${base}/nothing`)).status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
