/**
 * Splits a byte stream into lines. A watch response is newline-delimited JSON: one watch.Event
 * per line; a chunk boundary may fall anywhere, including inside a multi-byte UTF-8 character,
 * hence the streaming decoder.
 */
export async function* linesOf(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line !== "") yield line;
        newline = pending.indexOf("\n");
      }
    }
    const rest = (pending + decoder.decode()).trim();
    if (rest !== "") yield rest;
  } finally {
    // Runs when the consumer stops early too: cancelling releases the connection.
    await reader.cancel().catch(() => {});
  }
}
