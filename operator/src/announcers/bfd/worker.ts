/**
 * The BFD Worker: the speaker's BFD sessions (runner.ts) on a poll loop of their own, so that
 * packets go out and detection times are judged on time whatever the main thread is doing (a
 * 10k-Service burst must not make a peer declare us down). Changes of state are posted at once.
 */
import { PollLoop } from "../../membership/poll-loop.ts";
import { setThreadName } from "../../runtime/libc.ts";
import { BfdRunner } from "./runner.ts";
import type { FromBfdWorker, ToBfdWorker } from "./worker-protocol.ts";

declare const self: Worker;

let runner: BfdRunner | undefined;
let loop: PollLoop | undefined;
let received = 0;

function post(message: FromBfdWorker): void {
  self.postMessage(message);
}

/** A failed loop (a bug) must not leave sessions silently unserved: fail the Worker loudly. */
function failLoudly(error: unknown): void {
  setTimeout(() => {
    throw error;
  });
}

self.onmessage = (event: MessageEvent<ToBfdWorker>) => {
  const message = event.data;
  if (message.type !== "start") received++;
  switch (message.type) {
    case "start": {
      setThreadName("bfd");
      const counter = new Int32Array(message.posted);
      loop = new PollLoop(() => Atomics.load(counter, 0) > received);
      runner = new BfdRunner(
        loop,
        {
          change: (key, change) => post({ type: "change", key, change }),
          problem: (detail) => post({ type: "problem", detail }),
        },
        message.ports === undefined ? {} : { ports: message.ports },
      );
      post({ type: "started", wakeFd: loop.wakeFd });
      loop.run().catch(failLoudly);
      return;
    }
    case "set":
      try {
        runner?.setDesired(message.peers);
      } catch (error) {
        post({ type: "problem", detail: `BFD sessions: ${error}` });
      }
      return;
    case "counters":
      post({ type: "counters", id: message.id, counters: runner?.counters() ?? [] });
      return;
    case "stop":
      runner?.stop();
      loop?.stop();
      post({ type: "done", id: message.id });
      return;
  }
};
