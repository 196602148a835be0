/**
 * The receive loop of the link sockets, run in a Worker so that waiting for frames never blocks the
 * main thread's event loop (runtime-facts: a blocking wait on the main thread stalls it for up to
 * 110 ms; this Worker answered in under 1 ms).
 *
 * One Worker serves every socket of an announcer: it blocks in poll(2) over all of their fds with a
 * finite timeout (POLL_TIMEOUT_MS), so it sees the shared stop flag at least that often:
 * `worker.terminate()` cannot interrupt a thread blocked in a system call. Ready sockets are drained
 * with non-blocking recv(2) and each frame is posted to the main thread (its buffer transferred).
 *
 * Protocol (main -> worker): {op:"init", stop: SharedArrayBuffer} first, then {op:"add", fd},
 * {op:"remove", fd}, {op:"stop"}. The Worker closes the fds it was given (on "remove" and on stop), so
 * an fd is never closed while this thread may still read it (a reused fd number would be read here).
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

const POLL_TIMEOUT_MS = 200;
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
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  prctl: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
}).symbols;

/** Bun names every Worker thread "Worker"; this one is "l2-receive" in top -H (PR_SET_NAME = 15). */
const THREAD_NAME = new TextEncoder().encode("l2-receive\0");
libc.prctl(15, ptr(THREAD_NAME));

const errno = (): number => read.i32(libc.__errno_location() as Pointer, 0);

let stopFlag: Int32Array | undefined;
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
  if (pollBuffer.byteLength < fds.size * 8) {
    pollBuffer = new Uint8Array(fds.size * 16);
    pollView = new DataView(pollBuffer.buffer);
  }
  let i = 0;
  for (const fd of fds) {
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
  }
}

const stopped = (): boolean => stopFlag === undefined || Atomics.load(stopFlag, 0) !== 0;

/** Lets queued messages ("add", "remove", "stop") in between two waits. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function loop(): Promise<void> {
  while (!stopped()) {
    if (dirty) rebuild();
    const ready = libc.poll(bufferOf(), pollCount, POLL_TIMEOUT_MS);
    if (ready > 0) {
      for (let i = 0; i < pollCount; i++) {
        const revents = pollView.getInt16(i * 8 + 6, true);
        if (revents === 0) continue;
        const fd = pollView.getInt32(i * 8, true);
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
    await turn();
  }
  for (const fd of [...fds]) closeFd(fd);
  self.postMessage({ op: "stopped" });
}

function bufferOf(): Pointer {
  return ptr(pollBuffer);
}

self.onmessage = (event: MessageEvent) => {
  const message = event.data as { op: string; fd?: number; stop?: SharedArrayBuffer };
  switch (message.op) {
    case "init":
      stopFlag = new Int32Array(message.stop!);
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
