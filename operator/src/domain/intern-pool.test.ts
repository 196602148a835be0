import { describe, expect, test } from "bun:test";
import { InternPool } from "./intern-pool.ts";

describe("InternPool", () => {
  test("one frozen value per print, made once", () => {
    const pool = new InternPool<{ n: number }>();
    let made = 0;
    const a = pool.get("x", () => ({ n: ++made }));
    const b = pool.get("x", () => ({ n: ++made }));
    expect(b).toBe(a);
    expect(made).toBe(1);
    expect(Object.isFrozen(a)).toBe(true);
    expect(pool.get("y", () => ({ n: ++made }))).not.toBe(a);
  });

  test("past its limit it stops sharing instead of growing", () => {
    const pool = new InternPool<{ p: string }>(2);
    pool.get("a", () => ({ p: "a" }));
    pool.get("b", () => ({ p: "b" }));
    const c1 = pool.get("c", () => ({ p: "c" }));
    const c2 = pool.get("c", () => ({ p: "c" }));
    expect(c1).toEqual(c2);
    expect(c1).not.toBe(c2);
    expect(pool.size).toBe(2);
  });
});
