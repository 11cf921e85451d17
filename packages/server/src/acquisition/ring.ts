// The ring buffer of a session's latest samples, for the live view and late joiners: a fixed number of rows
// (timestamp + one value per channel) in typed arrays. Every row also has its index in the session (`total`),
// so a reader can ask for "the rows after index i" and never get one twice.

export class SampleRing {
  private ts: Float64Array | null = null;
  private vs: Float64Array[] = [];
  /** Rows ever pushed. */
  total = 0;
  /** Rows that overwrote the oldest kept row (the ring was full; they are in storage all the same). */
  overruns = 0;

  constructor(
    readonly capacity: number,
    readonly channels: number,
  ) {}

  /** The arrays, allocated at the first push: a session that never records costs no memory. */
  private get timestamps(): Float64Array {
    if (!this.ts) {
      this.ts = new Float64Array(this.capacity);
      this.vs = Array.from({ length: this.channels }, () => new Float64Array(this.capacity));
    }
    return this.ts;
  }

  private get values(): Float64Array[] {
    void this.timestamps;
    return this.vs;
  }

  get count(): number {
    return Math.min(this.total, this.capacity);
  }

  push(timestamp: number, row: ArrayLike<number>): void {
    const i = this.total % this.capacity;
    if (this.total >= this.capacity) this.overruns += 1;
    this.timestamps[i] = timestamp;
    for (let c = 0; c < this.channels; c++) (this.values[c] as Float64Array)[i] = row[c] as number;
    this.total += 1;
  }

  /** Rows with session index ≥ fromIndex still in the ring, oldest first. */
  since(fromIndex: number): { first: number; timestamps: number[]; values: number[][] } {
    const first = Math.max(fromIndex, this.total - this.count);
    const timestamps: number[] = [];
    const values: number[][] = Array.from({ length: this.channels }, () => []);
    for (let k = first; k < this.total; k++) {
      const i = k % this.capacity;
      timestamps.push(this.timestamps[i] as number);
      for (let c = 0; c < this.channels; c++) values[c]?.push(this.values[c]?.[i] as number);
    }
    return { first, timestamps, values };
  }
}
