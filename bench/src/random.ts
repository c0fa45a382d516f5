/**
 * A small seeded pseudo-random source (sfc32). The synthetic tree must be byte-identical for the same seed on
 * every machine and Node version, so nothing here touches `Math.random` or the clock.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...seeds: number[]) {
    const h = hashSeeds(seeds);
    this.a = h[0]!;
    this.b = h[1]!;
    this.c = h[2]!;
    this.d = h[3]!;
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Pick by weight: `[[value, weight], …]`. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [value, w] of items) {
      r -= w;
      if (r < 0) return value;
    }
    return items[items.length - 1]![0];
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and shape. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** A version-4 shaped UUID string. */
  uuid(): string {
    const hex = (n: number) => n.toString(16).padStart(8, '0');
    const s =
      hex(this.nextUint32()) + hex(this.nextUint32()) + hex(this.nextUint32()) + hex(this.nextUint32());
    const variant = '89ab'[this.nextUint32() & 3]!;
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-${variant}${s.slice(17, 20)}-${s.slice(20, 32)}`;
  }

  /** `length` characters from `alphabet`. */
  chars(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.nextUint32() % alphabet.length];
    return out;
  }

  hex(length: number): string {
    return this.chars('0123456789abcdef', length);
  }
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE64 = `${BASE62}+/`;

export function base62(rng: SeededRandom, length: number): string {
  return rng.chars(BASE62, length);
}

export function base64(rng: SeededRandom, length: number): string {
  return rng.chars(BASE64, length);
}

/** Mix any number of integers into four non-zero 32-bit words (murmur3 finaliser per word). */
function hashSeeds(seeds: number[]): [number, number, number, number] {
  const out: [number, number, number, number] = [0x9e3779b9, 0x243f6a88, 0xb7e15162, 0x85a308d3];
  for (let i = 0; i < seeds.length; i++) {
    const s = seeds[i]! >>> 0;
    for (let k = 0; k < 4; k++) {
      let h = (out[k]! ^ Math.imul(s + k + i * 4, 0xcc9e2d51)) >>> 0;
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      out[k] = (h ^ (h >>> 16)) >>> 0;
    }
  }
  for (let k = 0; k < 4; k++) if (out[k] === 0) out[k] = 0x6d2b79f5;
  return out;
}
