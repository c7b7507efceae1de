// Seeded pseudo-random numbers for the simulator. A run is a pure function of its seed, so any
// result can be replayed; each source of randomness (arrivals, handle times, answers, patience)
// draws from its own stream, so changing one parameter does not reshuffle the others' draws.

/** cyrb128: a fast string hash with a 128-bit state, used only to derive seeds. */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    h1 = h2 ^ Math.imul(h1 ^ code, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ code, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ code, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ code, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counter): 128 bits of state, passes PractRand, and
 * needs only 32-bit integer operations, which JavaScript does exactly.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A stream named `stream` of the run seeded with `seed`: the same pair always gives the same numbers. */
  constructor(seed: string | number, stream: string) {
    [this.a, this.b, this.c, this.d] = hash128(`${seed}\u0000${stream}`);
    // The first outputs of a freshly seeded generator are the least mixed: discard them.
    for (let index = 0; index < 15; index++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /**
   * Uniform in the open interval (0, 1) with 53 random bits. Never 0, so −log(u) is finite, and
   * never 1, so a probability comparison `u < p` is false for p = 0 and true for p = 1.
   */
  next(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low + 0.5) / 9007199254740992;
  }
}
