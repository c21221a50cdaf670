// Newline-delimited JSON framing: bytes in, complete lines out, with a hard cap on a line's length
// so a client that never sends a newline cannot make the reader buffer without bound.
export class LineTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`line longer than ${limit} bytes`);
  }
}

export class LineSplitter {
  private chunks: Buffer[] = [];
  private pending = 0;

  constructor(private readonly maxBytes: number) {}

  /** Feed bytes; returns the complete lines (without the newline). Throws LineTooLongError. */
  push(data: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      if (nl === -1) break;
      const piece = data.subarray(start, nl);
      if (this.pending + piece.length > this.maxBytes) throw new LineTooLongError(this.maxBytes);
      this.chunks.push(piece);
      const line = Buffer.concat(this.chunks).toString('utf8');
      this.chunks = [];
      this.pending = 0;
      lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
      start = nl + 1;
    }
    if (start < data.length) {
      const rest = data.subarray(start);
      this.pending += rest.length;
      if (this.pending > this.maxBytes) throw new LineTooLongError(this.maxBytes);
      // Copy: the caller's buffer may be reused by the stream.
      this.chunks.push(Buffer.from(rest));
    }
    return lines;
  }

  /** Bytes of an unfinished line (a client that hung up mid-line leaves these). */
  get buffered(): number {
    return this.pending;
  }
}
