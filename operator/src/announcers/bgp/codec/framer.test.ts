import { describe, expect, test } from "bun:test";
import { MessageFramer } from "./framer.ts";
import { encodeKeepalive } from "./keepalive.ts";
import { encodeNotification } from "./notification.ts";
import { hex, message, toHex } from "./test-bytes.ts";

function all(framer: MessageFramer): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of framer.drain()) {
    if (!m.ok) throw new Error(m.error.detail);
    out.push(m.value);
  }
  return out;
}

function headerError(bytes: Uint8Array, extended = false) {
  const framer = new MessageFramer(extended);
  framer.push(bytes);
  const result = framer.next();
  if (result === undefined || result.ok) throw new Error("expected a header error");
  return result.error;
}

describe("MessageFramer", () => {
  test("many messages in one chunk come out as views, in order", () => {
    const keepalive = encodeKeepalive();
    const notification = encodeNotification(6, 2, hex("03616263"));
    const stream = new Uint8Array(keepalive.length * 2 + notification.length);
    stream.set(keepalive, 0);
    stream.set(notification, 19);
    stream.set(keepalive, 19 + notification.length);
    const framer = new MessageFramer();
    framer.push(stream);
    const messages = all(framer);
    expect(messages.map(toHex)).toEqual([toHex(keepalive), toHex(notification), toHex(keepalive)]);
    expect(messages[1]!.buffer).toBe(stream.buffer);
    expect(framer.buffered).toBe(0);
  });

  test("a message split byte by byte is reassembled once it is whole", () => {
    const notification = encodeNotification(6, 4, hex("0568656c6c6f"));
    const framer = new MessageFramer();
    for (let i = 0; i < notification.length - 1; i++) {
      framer.push(notification.subarray(i, i + 1));
      expect(framer.next()).toBeUndefined();
    }
    framer.push(notification.subarray(notification.length - 1));
    expect(all(framer).map(toHex)).toEqual([toHex(notification)]);
  });

  test("chunks cutting messages anywhere yield the same messages", () => {
    const parts = [
      encodeKeepalive(),
      encodeNotification(1, 2, hex("0010")),
      message(5, "00010001"),
      encodeKeepalive(),
    ];
    const stream = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      stream.set(p, at);
      at += p.length;
    }
    for (let cut = 1; cut < stream.length; cut++) {
      const framer = new MessageFramer();
      framer.push(stream.subarray(0, cut));
      const first = all(framer);
      framer.push(stream.subarray(cut));
      expect([...first, ...all(framer)].map(toHex)).toEqual(parts.map(toHex));
    }
  });

  test("marker not all ones is 1/1", () => {
    const bytes = encodeKeepalive();
    bytes[3] = 0xfe;
    const error = headerError(bytes);
    expect([error.code, error.subcode, error.reason]).toEqual([1, 1, "connectionNotSynchronized"]);
  });

  test("length below 19 or above 4096 is 1/2 with the length as data", () => {
    const short = message(4, "");
    short[17] = 18;
    expect(headerError(short)).toMatchObject({ code: 1, subcode: 2 });
    expect(toHex(headerError(short).data)).toBe("0012");
    const long = message(2, "00000000");
    long[16] = 0x10;
    long[17] = 0x01;
    expect(headerError(long)).toMatchObject({ code: 1, subcode: 2 });
    expect(toHex(headerError(long).data)).toBe("1001");
  });

  test("extended message allows 65535 for UPDATE but never for OPEN or KEEPALIVE", () => {
    const update = new Uint8Array(5000);
    update.set(message(2, "00000000").subarray(0, 19));
    update[16] = 5000 >> 8;
    update[17] = 5000 & 0xff;
    expect(headerError(update)).toMatchObject({ code: 1, subcode: 2 });
    const framer = new MessageFramer(true);
    framer.push(update);
    expect(framer.next()?.ok).toBe(true);
    const open = update.slice();
    open[18] = 1;
    expect(headerError(open, true)).toMatchObject({ code: 1, subcode: 2 });
    expect(toHex(headerError(open, true).data)).toBe("1388");
  });

  test("lengths wrong for the type are 1/2", () => {
    const cases: [number, number][] = [
      [1, 28],
      [2, 22],
      [3, 20],
      [4, 20],
      [5, 22],
    ];
    for (const [type, length] of cases) {
      const bytes = message(type, "00".repeat(length - 19));
      const error = headerError(bytes);
      expect([type, error.code, error.subcode, toHex(error.data)]).toEqual([
        type,
        1,
        2,
        length.toString(16).padStart(4, "0"),
      ]);
    }
  });

  test("an unknown type is 1/3 with the type byte as data", () => {
    for (const type of [0, 6, 255]) {
      const error = headerError(message(type, "00000000"));
      expect([error.code, error.subcode, toHex(error.data)]).toEqual([
        1,
        3,
        type.toString(16).padStart(2, "0"),
      ]);
    }
  });

  test("after a header error the framer stays failed", () => {
    const framer = new MessageFramer();
    framer.push(message(9, ""));
    expect(framer.next()?.ok).toBe(false);
    framer.push(encodeKeepalive());
    expect(framer.next()).toMatchObject({ ok: false, error: { code: 1, subcode: 3 } });
  });

  test("100k messages in 1-byte to 7-byte chunks stay linear", () => {
    const one = encodeNotification(6, 2, new Uint8Array(40));
    const stream = new Uint8Array(one.length * 100_000);
    for (let i = 0; i < 100_000; i++) stream.set(one, i * one.length);
    const framer = new MessageFramer();
    let count = 0;
    const started = performance.now();
    for (let at = 0, step = 1; at < stream.length; at += step, step = (step % 7) + 1) {
      framer.push(stream.subarray(at, Math.min(stream.length, at + step)));
      for (const m of framer.drain()) if (m.ok) count++;
    }
    expect(count).toBe(100_000);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
