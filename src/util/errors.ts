/**
 * Errors a user can act on. The CLI prints `message` on one line (no stack) and exits with `exitCode`.
 * Anything else that escapes is a bug and is reported as such.
 */
export class MemdigError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.BadInput,
  ) {
    super(message);
    this.name = 'MemdigError';
  }
}

/** Input bytes do not have the structure a format requires: says where and what was expected. */
export class FormatError extends MemdigError {
  constructor(
    readonly format: string,
    readonly offset: number,
    what: string,
  ) {
    super(`${format}: at offset 0x${offset.toString(16)}: ${what}`, ExitCode.BadInput);
    this.name = 'FormatError';
  }
}

export const ExitCode = {
  Ok: 0,
  /** Results were produced but some data was missing or damaged; warnings say what. */
  Partial: 1,
  Usage: 2,
  /** The input could not be read or is not in a supported format. */
  BadInput: 3,
  Internal: 70,
} as const;

/** Soft problems collected during analysis instead of being thrown away (rust-minidump style). */
export class Warnings {
  readonly items: string[] = [];
  private readonly limit: number;
  private dropped = 0;
  constructor(limit = 10_000) {
    this.limit = limit;
  }
  add(msg: string): void {
    if (this.items.length < this.limit) this.items.push(msg);
    else this.dropped++;
  }
  get count(): number {
    return this.items.length + this.dropped;
  }
  get droppedCount(): number {
    return this.dropped;
  }
}
