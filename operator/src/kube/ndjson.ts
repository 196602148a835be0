/**
 * Splits a byte stream into lines. A watch response is newline-delimited JSON: one watch.Event
 * per line; a chunk boundary may fall anywhere, including inside a multi-byte UTF-8 character,
 * hence the streaming decoder.
 */
export async function* linesOf(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  for await (const batch of lineBatchesOf(body)) yield* batch;
}

/**
 * The same lines, grouped by the read that completed them: a burst of events that arrived
 * together stays together (one round trip to a decode Worker per read, not per line).
 */
export async function* lineBatchesOf(body: ReadableStream<Uint8Array>): AsyncGenerator<string[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      const batch: string[] = [];
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line !== "") batch.push(line);
        newline = pending.indexOf("\n");
      }
      if (batch.length > 0) yield batch;
    }
    const rest = (pending + decoder.decode()).trim();
    if (rest !== "") yield [rest];
  } finally {
    // Runs when the consumer stops early too: cancelling releases the connection.
    await reader.cancel().catch(() => {});
  }
}
