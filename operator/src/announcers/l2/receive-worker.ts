/**
 * The receive loop of the link sockets, run in a Worker so that waiting for frames never blocks the
 * main thread's event loop (measured under Bun 1.4.5: a blocking wait on the main thread stalls it for up to
 * 110 ms; this Worker answered in under 1 ms).
 *
 * One Worker serves every socket of an announcer: it blocks in poll(2) over all of their fds and a
 * wake eventfd. The main thread counts each message in a shared Int32 and writes the eventfd
 * *before* posting it, so the poll returns at once. The loop takes turns of Bun's event loop only
 * until every counted message was delivered, and collects its heap itself after frames
 * (collectAfterFrames). An idle speaker's receive thread therefore sleeps in the kernel (the poll's
 * 1 s bound is its only wake-up) and takes no turn of Bun's loop (each of which ends with Bun's
 * allocator sweeping the thread's heaps). Ready sockets are drained with non-blocking recv(2) and
 * each frame is posted to the main thread (its buffer transferred). `worker.terminate()` cannot
 * interrupt a thread blocked in a system call: "stop" wakes the poll like any message, and the
 * shared stop flag ends the loop.
 *
 * Protocol (main -> worker): {op:"init", stop, posted: SharedArrayBuffer, wakeFd} first (not
 * counted), then {op:"add", fd}, {op:"remove", fd}, {op:"stop"} (each counted). The Worker closes the
 * packet fds it was given (on "remove" and on stop), so an fd is never closed while this thread may
 * still read it (a reused fd number would be read here); the wake eventfd is the main thread's, closed
 * by it after "stopped".
 * (worker -> main): {op:"ready"}, {op:"frame", fd, frame}, {op:"error", fd, error}, {op:"closed", fd},
 * {op:"stopped"}.
 *
 * This file is loaded from a Blob (see packet-socket.ts: that is what survives `bun build` and
 * `bun build --compile`), so it must not import anything but `bun:ffi`.
 */
import { dlopen, FFIType, type Pointer, ptr, read } from "bun:ffi";

declare const self: {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
};

/** Only a bound: every wake-up has a reason (a frame, a counted message). */
const POLL_TIMEOUT_MS = 1000;
/** While frames keep coming, this thread's heap is collected at most this often. */
const COLLECT_EVERY_MS = 5000;
/** Turns of Bun's loop to wait for a counted message before sleeping a millisecond between turns. */
const QUICK_TURNS = 100;
const POLLIN = 0x1;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;
const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
const EINTR = 4;
const EAGAIN = 11;
/** Frames read from one socket before giving the others (and the message queue) a turn. */
const DRAIN_BATCH = 64;
const BUFFER_BYTES = 65536;

const libc = dlopen("libc.so.6", {
  poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64_fast },
  read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  prctl: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
}).symbols;

/** Bun names every Worker thread "Worker"; this one is "l2-receive" in top -H (PR_SET_NAME = 15). */
const THREAD_NAME = new TextEncoder().encode("l2-receive\0");
libc.prctl(15, ptr(THREAD_NAME));

const errno = (): number => read.i32(libc.__errno_location() as Pointer, 0);

let stopFlag: Int32Array | undefined;
/** Messages after "init": counted by the main thread before posting, and by us on receipt. */
let posted: Int32Array | undefined;
let received = 0;
let wakeFd = -1;
const wakeCounter = new BigUint64Array(1);
/** Frames posted since this thread's heap was last collected, and when that was. */
let postedSinceCollect = 0;
let lastCollect = 0;
const fds = new Set<number>();
let pollBuffer = new Uint8Array(8);
let pollView = new DataView(pollBuffer.buffer);
let pollCount = 0;
let dirty = true;
const buffer = new Uint8Array(BUFFER_BYTES);
const bufferPtr = ptr(buffer);
let running = false;

function closeFd(fd: number): void {
  if (!fds.delete(fd)) return;
  libc.close(fd);
  dirty = true;
  self.postMessage({ op: "closed", fd });
}

function rebuild(): void {
  if (pollBuffer.byteLength < (fds.size + 1) * 8) {
    pollBuffer = new Uint8Array((fds.size + 1) * 16);
    pollView = new DataView(pollBuffer.buffer);
  }
  let i = 0;
  for (const fd of [wakeFd, ...fds]) {
    pollView.setInt32(i * 8, fd, true);
    pollView.setInt16(i * 8 + 4, POLLIN, true);
    pollView.setInt16(i * 8 + 6, 0, true);
    i++;
  }
  pollCount = i;
  dirty = false;
}

function drain(fd: number): void {
  for (let n = 0; n < DRAIN_BATCH; n++) {
    const got = Number(libc.recv(fd, bufferPtr, BUFFER_BYTES, MSG_DONTWAIT | MSG_TRUNC));
    if (got < 0) {
      const e = errno();
      if (e !== EAGAIN && e !== EINTR) self.postMessage({ op: "error", fd, error: e });
      return;
    }
    // MSG_TRUNC: `got` is the frame's real length; a longer one is cut here and dropped as oversized.
    const frame = buffer.slice(0, Math.min(got, BUFFER_BYTES)).buffer;
    self.postMessage({ op: "frame", fd, frame, length: got }, [frame]);
    postedSinceCollect++;
  }
}

/**
 * Bun collects a thread's heap from timers of its event loop, which this loop rarely turns: what
 * posting frames leaves behind would stay. So after frames, a full collection once the links are
 * quiet (a poll that timed out) and at most every COLLECT_EVERY_MS while frames keep coming.
 * Measured (a speaker restarted at 10k Services, whose gratuitous bursts this thread reads):
 * without it the speaker held 10 MB more. An idle link posts nothing and costs nothing.
 */
function collectAfterFrames(quiet: boolean): void {
  if (postedSinceCollect === 0) return;
  const now = performance.now();
  if (!quiet && now - lastCollect < COLLECT_EVERY_MS) return;
  Bun.gc(true);
  postedSinceCollect = 0;
  lastCollect = now;
}

const stopped = (): boolean => stopFlag === undefined || Atomics.load(stopFlag, 0) !== 0;
const messagesWaiting = (): boolean => posted !== undefined && Atomics.load(posted, 0) > received;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Turns of Bun's loop until every counted message ("add", "remove", "stop") was delivered. */
async function takeMessages(): Promise<void> {
  for (let turns = 0; messagesWaiting() && !stopped(); turns++) {
    if (turns < QUICK_TURNS) await turn();
    else await Bun.sleep(1);
  }
}

async function loop(): Promise<void> {
  while (!stopped()) {
    if (dirty) rebuild();
    const ready = libc.poll(bufferOf(), pollCount, POLL_TIMEOUT_MS);
    if (ready > 0) {
      for (let i = 0; i < pollCount; i++) {
        const revents = pollView.getInt16(i * 8 + 6, true);
        if (revents === 0) continue;
        const fd = pollView.getInt32(i * 8, true);
        if (fd === wakeFd) {
          // Reset the eventfd's counter; the messages themselves are counted in `posted`.
          libc.read(fd, ptr(wakeCounter), 8);
          continue;
        }
        if ((revents & POLLNVAL) !== 0) {
          // Not ours any more (closed behind our back): stop watching it.
          fds.delete(fd);
          dirty = true;
          self.postMessage({ op: "error", fd, error: 9 });
        } else if ((revents & (POLLIN | POLLERR | POLLHUP)) !== 0) {
          drain(fd);
        }
      }
    }
    collectAfterFrames(ready === 0);
    if (messagesWaiting()) await takeMessages();
  }
  for (const fd of [...fds]) closeFd(fd);
  self.postMessage({ op: "stopped" });
}

function bufferOf(): Pointer {
  return ptr(pollBuffer);
}

self.onmessage = (event: MessageEvent) => {
  const message = event.data as {
    op: string;
    fd?: number;
    stop?: SharedArrayBuffer;
    posted?: SharedArrayBuffer;
    wakeFd?: number;
  };
  if (message.op !== "init") received++;
  switch (message.op) {
    case "init":
      stopFlag = new Int32Array(message.stop!);
      posted = new Int32Array(message.posted!);
      wakeFd = message.wakeFd!;
      dirty = true;
      if (!running) {
        running = true;
        self.postMessage({ op: "ready" });
        void loop();
      }
      break;
    case "add":
      fds.add(message.fd!);
      dirty = true;
      break;
    case "remove":
      closeFd(message.fd!);
      break;
    case "stop":
      if (stopFlag) Atomics.store(stopFlag, 0, 1);
      break;
  }
};

/**
 * packet-socket.ts imports this file's *text* (`with { type: "text" }`); TypeScript types such an
 * import as the module's default export, so this gives it the right type: string.
 */
export default "";
