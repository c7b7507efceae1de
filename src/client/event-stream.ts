// An async iterator over events pushed as they arrive: `for await (const event of stream)`.
// Events wait in a buffer until the consumer takes them; the owner watches the buffer's length
// (to pause the source when the consumer falls behind) through onTaken.

export class EventStream<Item> implements AsyncIterableIterator<Item> {
  private buffer: Item[] = [];
  private head = 0;
  private waiter: { resolve: (result: IteratorResult<Item>) => void; reject: (error: unknown) => void } | null = null;
  private ended = false;
  private failure: unknown = null;

  constructor(
    /** After the consumer took an event (or asked for one on an empty buffer). */
    private readonly onTaken: (buffered: number) => void,
    /** The consumer left the loop early (break, return, a throw in its body). */
    private readonly onReturn: () => void,
  ) {}

  get buffered(): number {
    return this.buffer.length - this.head;
  }

  push(item: Item): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter.resolve({ value: item, done: false });
      return;
    }
    this.buffer.push(item);
  }

  /** Ends the stream once the consumer has taken what is buffered; with an error, the loop throws it then. */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (error !== undefined) this.failure = error;
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter === null) return;
    if (this.failure !== null) waiter.reject(this.failure);
    else waiter.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<Item>> {
    if (this.head < this.buffer.length) {
      const value = this.buffer[this.head]!;
      this.buffer[this.head++] = undefined as Item;
      if (this.head === this.buffer.length) {
        this.buffer = [];
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.buffer.length) {
        this.buffer = this.buffer.slice(this.head);
        this.head = 0;
      }
      this.onTaken(this.buffered);
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) {
      if (this.failure === null) return Promise.resolve({ value: undefined, done: true });
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    this.onTaken(0);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<Item>> {
    if (!this.ended) {
      this.end();
      this.onReturn();
    }
    this.buffer = [];
    this.head = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
