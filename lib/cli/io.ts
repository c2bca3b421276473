// What a CLI command may touch of the process: output streams, the terminal, the interrupt signal.
export interface IO {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
  signal?: AbortSignal;
  /** Answers for --step (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
}
